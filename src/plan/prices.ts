/**
 * Prices for plan estimates: on-demand Linux prices in us-east-1 (USD per hour) of the instance
 * types builds use, EBS snapshot storage and inter-region transfer. Estimates, not a bill:
 * `prices` in prism-ami.config.yaml overrides any of them.
 */
export const INSTANCE_PRICES: Readonly<Record<string, number>> = {
  't3.micro': 0.0104,
  't3.small': 0.0208,
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  't3.2xlarge': 0.3328,
  't4g.micro': 0.0084,
  't4g.small': 0.0168,
  't4g.medium': 0.0336,
  't4g.large': 0.0672,
  't4g.xlarge': 0.1344,
  't4g.2xlarge': 0.2688,
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm6i.large': 0.096,
  'm6i.xlarge': 0.192,
  'm6g.large': 0.077,
  'm6g.xlarge': 0.154,
  'm7g.large': 0.0816,
  'c6i.large': 0.085,
  'c7g.large': 0.0725,
  'g4dn.xlarge': 0.526,
};

export const SNAPSHOT_USD_PER_GB_MONTH = 0.05;
export const COPY_USD_PER_GB = 0.02;

export interface PriceTable {
  instance: Readonly<Record<string, number>>;
  snapshotPerGbMonth: number;
  copyPerGb: number;
}

export function priceTable(
  overrides: { instances?: Record<string, number>; snapshotPerGbMonth?: number; copyPerGb?: number } = {},
): PriceTable {
  return {
    instance: { ...INSTANCE_PRICES, ...(overrides.instances ?? {}) },
    snapshotPerGbMonth: overrides.snapshotPerGbMonth ?? SNAPSHOT_USD_PER_GB_MONTH,
    copyPerGb: overrides.copyPerGb ?? COPY_USD_PER_GB,
  };
}
