import { launchBrowser } from '/work/main/test/helpers/browser.js';
import { ADMIN_PASSWORD, api, login, startEdge } from '/work/main/test/helpers/edge-process.js';

const edge = await startEdge();
const token = await login(edge.httpUrl);
const kiosk = await api<{ token: string }>(edge.httpUrl, token, 'POST', '/api/devices', {
  id: 'k1',
  type: 'kiosk',
  transport: 'http',
});
const b = await launchBrowser();
const admin = await b.context.newPage();
admin.on('console', (m) => console.log('admin console:', m.type(), m.text()));
await admin.goto(`${edge.httpUrl}/admin/`);
await admin.fill('input[name=username]', 'admin');
await admin.fill('input[name=password]', ADMIN_PASSWORD);
await admin.tap('button[type=submit]');
await admin.getByTestId('alarm-console').waitFor();
await admin.reload();
await admin.getByTestId('alarm-console').waitFor();
const st = () =>
  admin.evaluate(() => [
    navigator.userActivation.hasBeenActive,
    document.querySelector('[data-testid=alarm-sound]')?.getAttribute('data-sound'),
  ]);
console.log('after reload', await st());
const k = await b.context.newPage();
await k.goto(`${edge.httpUrl}/kiosk/#token=${kiosk.body.token}`);
await k.getByTestId('attract').waitFor();
console.log('after kiosk open', await st());
await k.tap('[data-testid=help-sos]');
await k.getByTestId('help-confirm').waitFor();
await new Promise((r) => setTimeout(r, 1000));
console.log('after kiosk tap', await st());
await b.close();
await edge.stop();
