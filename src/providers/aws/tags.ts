import type { Tag, TagSpecification, ResourceType } from '@aws-sdk/client-ec2';

export function toTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function tagSpecs(types: ResourceType[], tags: Record<string, string>): TagSpecification[] {
  return types.map((ResourceType) => ({ ResourceType, Tags: toTags(tags) }));
}

export function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}
