import type { Architecture } from '../../core/types.js';

/** The build instance type when a template names none (kept apart from the SDK, for plan). */
export const DEFAULT_INSTANCE_TYPES: Readonly<Record<Architecture, string>> = { x86_64: 't3.medium', arm64: 't4g.medium' };
