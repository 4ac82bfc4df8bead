import type { SSMClient } from '@aws-sdk/client-ssm';
import { PrismError } from '../core/errors.js';
import type { SsmLayout } from '../config/settings.js';
import type { AwsClients } from '../core/aws-clients.js';
import { LOCAL_REGION, type RegistryDocument, type Slot } from './model.js';
import { current, currentBySlot, slotKey } from './queries.js';

/**
 * SSM Parameter Store publication: `<prefix>/<slug>/<arch>` in each region holds the current
 * image of that region, as a String parameter with DataType aws:ec2:image, so a launch template
 * or RunInstances call can use `resolve:ssm:/prism/ami/r-research/x86_64` as its ImageId. Every
 * change is a new parameter version: the parameter's history is the audit trail.
 */

export function parameterName(prefix: string, slot: Pick<Slot, 'template' | 'architecture'>): string {
  return `${prefix}/${slot.template}/${slot.architecture}`;
}

/** The slots whose current image differs between two documents. */
export function changedSlots(before: RegistryDocument, after: RegistryDocument): Slot[] {
  const a = currentBySlot(before);
  const b = currentBySlot(after);
  const slots: Slot[] = [];
  for (const [key, value] of b) if (a.get(key)?.amiId !== value.amiId) slots.push(value.slot);
  for (const [key, value] of a) if (!b.has(key)) slots.push(value.slot);
  return slots;
}

export interface PublishedParameter {
  region: string;
  name: string;
  /** What the parameter holds now; undefined when deleted or absent. */
  amiId?: string;
  action: 'put' | 'delete' | 'unchanged';
  /** The parameter version written. */
  version?: number;
}

export interface SsmPublisherOptions {
  /** Parallel SSM calls (default 4). */
  concurrency?: number;
  /** prism-ami's parameters (the default), the ones Prism's launcher reads, or both. */
  layout?: SsmLayout;
  /** The prefix of Prism's layout (default /cloudworkstation/amis). */
  prismPrefix?: string;
}

export class SsmPublisher {
  constructor(
    readonly prefix: string,
    private readonly clients: AwsClients,
    private readonly options: SsmPublisherOptions = {},
  ) {}

  /**
   * Makes the parameters of these slots show the document's current images: writes a new
   * version where it differs, deletes the parameter when no current image remains, leaves it
   * alone when it already matches (so running again repairs a failed publication and adds no
   * versions). Images of region `local` are not published.
   */
  async reconcile(doc: RegistryDocument, slots: readonly Slot[]): Promise<PublishedParameter[]> {
    const unique = new Map<string, Slot>();
    for (const slot of slots) if (slot.region !== LOCAL_REGION) unique.set(slotKey(slot), slot);
    const queue = [...unique.values()].sort((a, b) => slotKey(a).localeCompare(slotKey(b)));
    const results = new Array<PublishedParameter[]>(queue.length);
    const layout = this.options.layout ?? 'prism-ami';
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const index = next++;
        const slot = queue[index];
        results[index] = [
          ...(layout !== 'prism' ? [await this.reconcileOne(doc, slot)] : []),
          ...(layout !== 'prism-ami' ? await this.reconcilePrism(doc, slot) : []),
        ];
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 4, queue.length) }, worker));
    return results.flat();
  }

  private async reconcilePrism(doc: RegistryDocument, slot: Slot): Promise<PublishedParameter[]> {
    const prefix = this.options.prismPrefix ?? '/cloudworkstation/amis';
    try {
      const { reconcilePrismSlot } = await import('./publish-ssm-prism.js');
      return await reconcilePrismSlot(await this.clients.ssm(slot.region), prefix, doc, slot);
    } catch (error) {
      throw new PrismError(
        'CLOUD_ERROR',
        `the registry is updated, but publishing ${prefix}/${slot.template}/${slot.region}/${slot.architecture} (Prism's layout) failed: ${(error as Error).name}: ${(error as Error).message}`,
        {
          hint: 'fix the cause (credentials need ssm:GetParameter, ssm:GetParametersByPath, ssm:PutParameter, ssm:DeleteParameter), then run prism ami publish-ssm to publish again',
          cause: error,
        },
      );
    }
  }

  private async reconcileOne(doc: RegistryDocument, slot: Slot): Promise<PublishedParameter> {
    const { GetParameterCommand, PutParameterCommand, DeleteParameterCommand } = await import('@aws-sdk/client-ssm');
    const name = parameterName(this.prefix, slot);
    const desired = current(doc, slot)?.ami_id;
    const base = { region: slot.region, name };
    try {
      const ssm: SSMClient = await this.clients.ssm(slot.region);
      let actual: string | undefined;
      try {
        actual = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
      } catch (error) {
        if ((error as Error).name !== 'ParameterNotFound') throw error;
      }
      if (actual === desired) return { ...base, ...(desired ? { amiId: desired } : {}), action: 'unchanged' };
      if (desired === undefined) {
        await ssm.send(new DeleteParameterCommand({ Name: name })).catch((error: unknown) => {
          if ((error as Error).name !== 'ParameterNotFound') throw error;
        });
        return { ...base, action: 'delete' };
      }
      const put = await ssm.send(
        new PutParameterCommand({
          Name: name,
          Value: desired,
          Type: 'String',
          DataType: 'aws:ec2:image',
          Overwrite: true,
          Description: `prism-ami: current image of ${slot.template} ${slot.architecture} in ${slot.region}`,
        }),
      );
      return { ...base, amiId: desired, action: 'put', ...(put.Version !== undefined ? { version: put.Version } : {}) };
    } catch (error) {
      throw new PrismError(
        'CLOUD_ERROR',
        `the registry is updated, but publishing ${name} in ${slot.region} failed: ${(error as Error).name}: ${(error as Error).message}`,
        {
          hint: 'fix the cause (credentials need ssm:GetParameter, ssm:PutParameter, ssm:DeleteParameter), then run prism ami publish-ssm to publish again',
          cause: error,
        },
      );
    }
  }
}
