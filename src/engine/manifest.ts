import { gunzipSync } from 'node:zlib';
import { systemClock } from '../core/clock.js';
import { errorMessage, isAbortError, isPrismError } from '../core/errors.js';
import { manifestSummary, type ImageManifest } from '../core/manifest.js';
import type { Machine } from '../providers/provider.js';
import {
  CLEANUP_COMMAND,
  chunkCommand,
  collectionScript,
  ManifestFormatError,
  parseCollectionOutput,
  parseReady,
} from './manifest-script.js';
import type { Run } from './run.js';

/** Each lister (dpkg-query, python3, conda, Rscript) gets this long. */
export const LISTER_TIMEOUT_SECONDS = 300;
/** SSM returns at most 24,000 characters of output: the encoded manifest is read in chunks below that. */
export const CHUNK_BYTES = 16_000;
/** A manifest larger than this is not read back (it would be a runaway lister, not packages). */
const MAX_ENCODED_BYTES = 64 * 1024 * 1024;

/**
 * The `manifest` step: lists what is in the build machine (OS release, kernel, system packages,
 * Python, conda and R packages) after the tests passed and before the image is made. A manifest
 * that cannot be collected is a warning, not a failed build: the image is as good without it,
 * and it is recorded as "not recorded". Cancellation still cancels.
 */
export async function collectManifest(run: Run, machine: Machine): Promise<ImageManifest | undefined> {
  const { provider } = run.settings;
  const clock = run.settings.clock ?? systemClock;
  return run.step(
    'manifest',
    'Recording the package manifest',
    async () => {
      try {
        const collected = await provider.exec(
          machine,
          {
            kind: 'script',
            name: 'package manifest',
            script: collectionScript(LISTER_TIMEOUT_SECONDS, CHUNK_BYTES),
            // Every lister has its own limit; this is the whole collection's.
            timeoutSeconds: LISTER_TIMEOUT_SECONDS * 6,
          },
          run.ctx,
        );
        if (collected.exitCode !== 0) {
          throw new ManifestFormatError(
            collected.timedOut
              ? 'the collection ran out of time'
              : `the collection exited ${collected.exitCode}: ${collected.stderr.trim().slice(-300)}`,
          );
        }
        const ready = parseReady(collected.stdout);
        if (!ready)
          throw new ManifestFormatError(`the collection printed no manifest (output: ${JSON.stringify(collected.stdout.slice(-200))})`);
        if (ready.bytes > MAX_ENCODED_BYTES)
          throw new ManifestFormatError(`the manifest is ${ready.bytes} bytes encoded; more than a manifest can be`);
        const encoded = ready.data ?? (await readParts(run, machine, ready.bytes));
        // The encoding is one line; whitespace a transport added at the ends of parts does not count.
        const compact = encoded.replace(/\s+/g, '');
        if (compact.length !== ready.bytes)
          throw new ManifestFormatError(`read back ${compact.length} of the manifest's ${ready.bytes} bytes`);
        const bytes = Buffer.from(compact, 'base64');
        let text: string;
        try {
          text = (ready.encoding === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8');
        } catch (error) {
          throw new ManifestFormatError(`the manifest read back damaged: ${errorMessage(error)}`);
        }
        const manifest = parseCollectionOutput(text, clock.now());
        for (const s of manifest.skipped ?? []) run.ctx.progress(`${s.ecosystem} packages not listed: ${s.reason}`);
        return manifest;
      } catch (error) {
        if (run.signal.aborted || isAbortError(error) || (isPrismError(error) && error.code === 'CANCELLED')) throw error;
        run.log.line(`manifest: not recorded: ${errorMessage(error)}`);
        run.settings.emit({
          type: 'notice',
          target: run.target,
          level: 'warning',
          message: `no package manifest was recorded for this image: ${errorMessage(error)}; the build goes on (prism ami manifest will show "not recorded")`,
        });
        return undefined;
      }
    },
    (m: ImageManifest | undefined) => (m ? `${manifestSummary(m)}, ${m.digest.slice(0, 19)}` : 'not recorded'),
  );
}

/** A manifest too large for one command's output: read in parts, then its files removed. */
async function readParts(run: Run, machine: Machine, bytes: number): Promise<string> {
  const { provider } = run.settings;
  let encoded = '';
  for (let i = 0; i * CHUNK_BYTES < bytes; i++) {
    const chunk = await provider.exec(
      machine,
      { kind: 'command', name: `package manifest part ${i + 1}`, command: chunkCommand(i, CHUNK_BYTES), timeoutSeconds: 120 },
      run.ctx,
    );
    if (chunk.exitCode !== 0) throw new ManifestFormatError(`reading part ${i + 1} of the manifest failed (exit ${chunk.exitCode})`);
    encoded += chunk.stdout;
  }
  await provider.exec(
    machine,
    { kind: 'command', name: 'remove the manifest files', command: CLEANUP_COMMAND, timeoutSeconds: 60 },
    run.ctx,
  );
  return encoded;
}
