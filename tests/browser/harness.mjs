// harness.mjs: what the browser tests share: steps and verdicts, polling,
// and the real daemon started on a free loopback port.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class TestFailure extends Error {}

export function fail(message) {
  throw new TestFailure(message);
}

let currentStep = 'setup';
export function step(name) {
  currentStep = name;
  console.log(`# ${name}`);
}

export function stepName() {
  return currentStep;
}

export function ok(message) {
  console.log(`ok - ${message}`);
}

/** Polls fn until it returns a truthy value; fails with what() after ms. */
export async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      if (e instanceof TestFailure) throw e; // a verdict, not a miss
      last = e;
    }
    if (Date.now() > end) {
      const detail = last instanceof Error ? `: ${last.message}`
        : last !== undefined ? ` (last: ${JSON.stringify(last)})` : '';
      fail(`${typeof what === 'function' ? what() : what} (waited ${ms / 1000} s)${detail}`);
    }
    await sleep(200);
  }
}

/** The build's wallboardd with a state directory under dir. */
export class Daemon {
  constructor(buildDir, dir, extraArgs = []) {
    this.bin = path.resolve(buildDir, 'engine', 'wallboardd');
    this.dir = dir;
    this.stateDir = path.join(dir, 'state');
    this.logPath = path.join(dir, 'wallboardd.log');
    this.extraArgs = extraArgs;
    this.proc = null;
    this.exited = null;
  }

  async start(listen = '127.0.0.1:0') {
    fs.mkdirSync(this.stateDir, { recursive: true });
    fs.rmSync(path.join(this.stateDir, 'wallboardd.url'), { force: true });
    const log = fs.openSync(this.logPath, 'a');
    const args = ['--no-demo', '--listen', listen, '--state-dir', this.stateDir, ...this.extraArgs];
    fs.writeSync(log, `\n=== ${this.bin} ${args.join(' ')}\n`);
    this.exited = null;
    this.proc = spawn(this.bin, args, { cwd: this.dir, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.proc.on('exit', (code, signal) => { this.exited = { code, signal }; });
    this.proc.on('error', (e) => { this.exited = { error: e.message }; });
    const urlFile = path.join(this.stateDir, 'wallboardd.url');
    this.url = await waitFor(() => {
      if (this.exited) fail(`wallboardd exited before listening: ${JSON.stringify(this.exited)}`);
      if (!fs.existsSync(urlFile)) return null;
      const text = fs.readFileSync(urlFile, 'utf8').trim();
      return /^https?:\/\/[^/]+\/$/.test(text) ? text : null;
    }, 20000, `wallboardd did not write ${urlFile}`);
    const tokenFile = path.join(this.stateDir, 'display-token');
    this.token = await waitFor(() => fs.existsSync(tokenFile) && fs.readFileSync(tokenFile, 'utf8').trim(),
      5000, `no display token in ${tokenFile}`);
    return { url: this.url, token: this.token };
  }

  async stop() {
    if (!this.proc || this.exited) return;
    this.proc.kill('SIGTERM');
    const end = Date.now() + 8000;
    while (!this.exited && Date.now() < end) await sleep(100);
    if (!this.exited) {
      this.proc.kill('SIGKILL');
      while (!this.exited) await sleep(50);
    }
  }

  logTail(lines = 40) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
