import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';

/**
 * The console's alert tone, made with the Web Audio API (no audio files): a siren alternating
 * 660 / 880 Hz in short pulses. The rhythm comes from low-frequency oscillators inside the audio
 * graph, not from timers, so a console left in a background tab keeps sounding.
 *
 * Browsers keep an AudioContext made before the first user gesture `suspended`: the sound is
 * then "locked" until a click (the enable button, or any click or key on the page) resumes it.
 */
export type SoundState = 'unsupported' | 'locked' | 'ready';

const VOLUME = 0.3;

class AlarmTone {
  private ctx: AudioContext | null = null;
  private sources: OscillatorNode[] = [];
  private out: GainNode | null = null;
  private readonly listeners = new Set<() => void>();

  private context(): AudioContext | null {
    if (this.ctx) return this.ctx;
    if (typeof AudioContext === 'undefined') return null;
    try {
      this.ctx = new AudioContext();
    } catch {
      return null;
    }
    this.ctx.addEventListener('statechange', () => this.changed());
    // Allowed without a click when this site already had one (Chrome's sticky activation).
    if (this.ctx.state === 'suspended') void this.ctx.resume().catch(() => undefined);
    return this.ctx;
  }

  state(): SoundState {
    const ctx = this.context();
    if (!ctx) return 'unsupported';
    return ctx.state === 'running' ? 'ready' : 'locked';
  }

  /** Call from a user gesture: lifts the browser's autoplay block. */
  unlock(): void {
    const ctx = this.context();
    if (ctx && ctx.state !== 'running')
      void ctx.resume().then(
        () => this.changed(),
        () => this.changed(),
      );
  }

  get playing(): boolean {
    return this.out !== null;
  }

  start(): void {
    const ctx = this.context();
    if (!ctx || this.out) return;
    const osc = (type: OscillatorType, hz: number) => {
      const o = ctx.createOscillator();
      o.type = type;
      o.frequency.value = hz;
      this.sources.push(o);
      return o;
    };
    const gain = (value: number) => {
      const g = ctx.createGain();
      g.gain.value = value;
      return g;
    };
    const carrier = osc('triangle', 770);
    // Pitch: 770 ± 110 Hz, switching twice a second.
    const pitch = osc('square', 1);
    pitch.connect(gain(110)).connect(carrier.frequency);
    // Pulses: the gate swings 0 … 1 four times a second.
    const gate = gain(0.5);
    osc('square', 4).connect(gain(0.5)).connect(gate.gain);
    const out = gain(VOLUME);
    carrier.connect(gate).connect(out).connect(ctx.destination);
    const at = ctx.currentTime + 0.02;
    for (const s of this.sources) s.start(at);
    this.out = out;
    this.changed();
  }

  stop(): void {
    if (!this.out) return;
    for (const s of this.sources) {
      s.stop();
      s.disconnect();
    }
    this.out.disconnect();
    this.sources = [];
    this.out = null;
    this.changed();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}

const tone = new AlarmTone();

export interface AlarmSound {
  state: SoundState;
  playing: boolean;
  muted: boolean;
  enable: () => void;
  toggleMute: () => void;
}

/**
 * Sounds while `alerting` (the ids of unacknowledged alarms) is not empty. Mute silences the
 * alarms ringing now; a new alarm rings again. Any click or key on the page unlocks the sound.
 */
export function useAlarmSound(alerting: string[]): AlarmSound {
  const [, rerender] = useState(0);
  const [mutedFor, setMutedFor] = useState<Set<string> | null>(null);
  const key = alerting.join(',');
  const muted = useMemo(
    () => mutedFor !== null && key.split(',').every((id) => id === '' || mutedFor.has(id)),
    [mutedFor, key],
  );

  useEffect(() => {
    const off = tone.subscribe(() => rerender((n) => n + 1));
    const unlock = () => tone.unlock();
    document.addEventListener('pointerdown', unlock, true);
    document.addEventListener('keydown', unlock, true);
    return () => {
      off();
      document.removeEventListener('pointerdown', unlock, true);
      document.removeEventListener('keydown', unlock, true);
    };
  }, []);

  useEffect(() => {
    if (key !== '' && !muted) tone.start();
    else tone.stop();
  }, [key, muted]);

  useEffect(() => () => tone.stop(), []);

  const enable = useCallback(() => {
    tone.unlock();
    setMutedFor(null);
  }, []);
  const toggleMute = useCallback(() => {
    setMutedFor((m) => (m === null || !muted ? new Set(key.split(',')) : null));
  }, [key, muted]);

  return { state: tone.state(), playing: tone.playing, muted, enable, toggleMute };
}
