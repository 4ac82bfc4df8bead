import { systemClock } from '../core/clock.js';
import { errorMessage, isAbortError, isPrismError } from '../core/errors.js';
import { manifestSummary, type ImageManifest } from '../core/manifest.js';
import type { Machine } from '../providers/provider.js';
import { collectionScript, MANIFEST_FILE, ManifestFormatError, parseCollectionOutput, parseReady } from './manifest-script.js';
import type { Run } from './run.js';

/** Each lister (dpkg-query, python3, conda, Rscript) gets this long. */
export const LISTER_TIMEOUT_SECONDS = 300;
/** A listing larger than this is not read back (it would be a runaway lister, not packages). */
const MAX_LISTING_BYTES = 64 * 1024 * 1024;

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
            script: collectionScript(LISTER_TIMEOUT_SECONDS),
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
        const bytes = parseReady(collected.stdout);
        if (bytes === undefined)
          throw new ManifestFormatError(`the collection printed no manifest (output: ${JSON.stringify(collected.stdout.slice(-200))})`);
        if (bytes > MAX_LISTING_BYTES) throw new ManifestFormatError(`the listing is ${bytes} bytes; more than a manifest can be`);
        const listing = await provider.readFile(machine, MANIFEST_FILE, MAX_LISTING_BYTES, run.ctx);
        if (listing.length !== bytes) throw new ManifestFormatError(`read back ${listing.length} of the listing's ${bytes} bytes`);
        const text = listing.toString('utf8');
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
