/**
 * Moto compatibility for the fault proxy: where moto_server (5.2.1) does not do what EC2 does with
 * the tags of a resource being made, the proxy does it, so the tests see what real EC2 does and
 * prism-ami sends the requests real EC2 (and the builder policy) want (../shared/NOTES-moto.md):
 *
 * - CreateImage with a `snapshot` TagSpecification is an HTTP 500 in moto. The proxy forwards the
 *   request without that specification and, once moto has answered, tags the new image's
 *   snapshots with it, as EC2 does at creation.
 * - CopyImage ignores its TagSpecifications in moto. The proxy tags the copy (`image`) and its
 *   snapshots (`snapshot`) once moto has answered.
 *
 * (moto also ignores `network-interface` TagSpecifications of RunInstances; nothing reads those
 * tags, so they are not made up.) The tags are applied before the client gets its answer, and by
 * calls straight to moto: they are not recorded as calls of prism-ami.
 */

interface TagSpec {
  type: string;
  tags: [string, string][];
}

export interface MotoCompat {
  /** The request to forward to moto instead of the original. */
  body: Buffer;
  /** Runs once moto has answered 200, before the answer is passed on. */
  after(target: string, authorization: string, answer: string): Promise<void>;
}

const EC2_VERSION = '2016-11-15';

/** What to change for this call, or undefined when moto does it right. */
export function motoCompat(service: string, action: string, body: Buffer): MotoCompat | undefined {
  if (service !== 'ec2' || (action !== 'CreateImage' && action !== 'CopyImage')) return undefined;
  const form = new URLSearchParams(body.toString('utf8'));
  if (form.get('DryRun') === 'true') return undefined;
  const specs = tagSpecs(form);
  // Both calls: moto gets what it takes; what it does not, the proxy applies afterwards.
  const kept = action === 'CreateImage' ? specs.filter((s) => s.type !== 'snapshot') : specs;
  const deferred = action === 'CreateImage' ? specs.filter((s) => s.type === 'snapshot') : specs;
  if (deferred.length === 0) return undefined;
  return {
    body: Buffer.from(withTagSpecs(form, kept).toString()),
    after: async (target, authorization, answer) => {
      const imageId = /<imageId>([^<]+)<\/imageId>/.exec(answer)?.[1];
      if (!imageId) throw new Error(`moto compatibility: no imageId in the ${action} answer`);
      const call = (params: Record<string, string>) => ec2(target, authorization, params);
      const described = await call({ Action: 'DescribeImages', 'ImageId.1': imageId });
      const snapshots = [...described.matchAll(/<snapshotId>([^<]+)<\/snapshotId>/g)].map((m) => m[1]);
      for (const spec of deferred) {
        const resources = spec.type === 'image' ? [imageId] : spec.type === 'snapshot' ? snapshots : [];
        if (resources.length === 0 || spec.tags.length === 0) continue;
        await call({
          Action: 'CreateTags',
          ...Object.fromEntries(resources.map((id, i) => [`ResourceId.${i + 1}`, id])),
          ...Object.fromEntries(
            spec.tags.flatMap(([key, value], i) => [
              [`Tag.${i + 1}.Key`, key],
              [`Tag.${i + 1}.Value`, value],
            ]),
          ),
        });
      }
    },
  };
}

/** The TagSpecification.N.* parameters of a query-protocol request. */
function tagSpecs(form: URLSearchParams): TagSpec[] {
  const specs: TagSpec[] = [];
  for (let n = 1; form.has(`TagSpecification.${n}.ResourceType`); n++) {
    const tags: [string, string][] = [];
    for (let m = 1; form.has(`TagSpecification.${n}.Tag.${m}.Key`); m++) {
      tags.push([form.get(`TagSpecification.${n}.Tag.${m}.Key`)!, form.get(`TagSpecification.${n}.Tag.${m}.Value`) ?? '']);
    }
    specs.push({ type: form.get(`TagSpecification.${n}.ResourceType`)!, tags });
  }
  return specs;
}

/** The form with these tag specifications instead of its own (numbered from 1: moto stops at a gap). */
function withTagSpecs(form: URLSearchParams, specs: TagSpec[]): URLSearchParams {
  const out = new URLSearchParams([...form.entries()].filter(([key]) => !key.startsWith('TagSpecification.')));
  specs.forEach((spec, i) => {
    out.set(`TagSpecification.${i + 1}.ResourceType`, spec.type);
    spec.tags.forEach(([key, value], j) => {
      out.set(`TagSpecification.${i + 1}.Tag.${j + 1}.Key`, key);
      out.set(`TagSpecification.${i + 1}.Tag.${j + 1}.Value`, value);
    });
  });
  return out;
}

/** An EC2 query call straight to moto, in the region and account of the original request's credentials. */
async function ec2(target: string, authorization: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(`${target}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization },
    body: new URLSearchParams({ Version: EC2_VERSION, ...params }).toString(),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto compatibility: ${params.Action} answered ${response.status}: ${text.slice(0, 500)}`);
  return text;
}
