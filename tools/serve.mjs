// tools/serve.py from JavaScript, for the browser tests and the Chromium benchmarks.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVE_PY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'serve.py');

/** Serve `dir` on a free port of 127.0.0.1; resolves to { url (ending in /), stop }. */
export async function startServer(dir) {
  const python = process.env.PYTHON || 'python3';
  const proc = spawn(python, [SERVE_PY, '--dir', dir, '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = () => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM'); };
  process.once('exit', stop);      // the server must not outlive the script that started it
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  let timer;
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (m) resolve(m[0]);
      });
      proc.on('error', (e) => reject(new Error(`tools/serve.py could not start with ${python}: ${e.message}`)));
      proc.on('exit', (code) => reject(new Error(`tools/serve.py exited with ${code}: ${stderr}`)));
      timer = setTimeout(() => reject(new Error(`tools/serve.py did not start within 20 s: ${stderr}`)), 20000);
    });
    return { url, stop };
  } catch (e) {
    stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
