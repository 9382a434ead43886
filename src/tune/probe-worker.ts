/**
 * Entry of a probe worker thread (probe.ts): opens the model in its own tfjs, then runs
 * the probes it is sent, one tensor at a time, and posts back what each measured.
 */
import { parentPort } from 'node:worker_threads';
import { isMcError } from '../errors.js';
import { useBackend } from '../eval/backend.js';
import { runnableFromArtifacts } from '../eval/predict.js';
import { loadModel } from '../model/load.js';
import { modelArtifacts } from '../model/tfjs-io.js';
import { type Reference, type Target, captureTargets } from './capture.js';
import { PlanEvaluator } from './evaluate.js';
import { type ProbeJob, probeOne } from './probe.js';

let session: { ev: PlanEvaluator; ref: Reference; targets: Map<string, Target> } | undefined;

async function open(job: ProbeJob): Promise<void> {
  await useBackend(job.backend);
  const model = await loadModel(job.model);
  const runnable = await runnableFromArtifacts(await modelArtifacts(model), model.format as 'layers-model' | 'graph-model', model.file);
  const wanted = new Set(job.names ?? []);
  const targets = await captureTargets(model, { minElements: job.minElements, include: wanted.size ? (n) => wanted.has(n) : undefined });
  session = { ev: new PlanEvaluator(model, runnable, targets, job.labelAt), ref: { data: job.data, outputs: job.outputs, energy: job.energy }, targets: new Map(targets.map((t) => [t.name, t])) };
}

parentPort?.on('message', async (m: { kind: 'open'; job: ProbeJob } | { kind: 'probe'; name: string }) => {
  try {
    if (m.kind === 'open') {
      await open(m.job);
      parentPort?.postMessage({ kind: 'ready' });
      return;
    }
    const s = session as NonNullable<typeof session>;
    const t = s.targets.get(m.name);
    if (!t) throw new Error(`probe worker: no target "${m.name}"`);
    const result = await probeOne(t, s.ev, s.ref);
    parentPort?.postMessage({ kind: 'result', result });
  } catch (e) {
    parentPort?.postMessage({ kind: 'error', error: { code: isMcError(e) ? e.code : null, message: String((e as Error)?.message ?? e) } });
  }
});
