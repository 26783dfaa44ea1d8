// Preloaded into a test process (NODE_OPTIONS=--import=…/clock-offset.mjs) to run it with its wall
// clock shifted by LINLI_TEST_CLOCK_OFFSET_MS, like a box booted with a wrong clock. Only for tests.
const offset = Number(process.env.LINLI_TEST_CLOCK_OFFSET_MS ?? 0);
if (Number.isFinite(offset) && offset !== 0) {
  const RealDate = Date;
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate;
}
