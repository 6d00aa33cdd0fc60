// tools/serve.py from JavaScript, for the browser tests and the Chromium benchmarks.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVE_PY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'serve.py');

/** Serve `dir` on a free port of 127.0.0.1; resolves to { url (ending in /), stop }. */
export async function startServer(dir) {
  const python = process.env.PYTHON || 'python3';
  const proc = spawn(python, [SERVE_PY, '--dir', dir, '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) resolve(m[0]);
    });
    proc.on('exit', (code) => reject(new Error(`tools/serve.py exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`tools/serve.py did not start within 20 s: ${stderr}`)), 20000);
  });
  return { url, stop: () => { if (proc.exitCode === null) proc.kill('SIGTERM'); } };
}
