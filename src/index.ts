/**
 * prism-ami as a library: everything the `prism` CLI does is a function here with typed
 * options. The CLI only parses flags, picks a renderer and maps errors to exit codes.
 */
export { PrismError, isPrismError, type ErrorCode } from './core/errors.js';
export { ExitCode, exitCodeOf } from './core/exit-codes.js';
export type { Diagnostic } from './core/diagnostic.js';
export type { BuildEvent, EventSink, Target, TestResult, ImageInfo } from './core/events.js';
export { ARCHITECTURES, type Architecture } from './core/types.js';

export { loadTemplate, TemplateLibrary, type LoadTemplateOptions, type TemplateRef } from './template/library.js';
export { parseTemplate, type ParsedTemplate, type TemplateParseResult } from './template/parse-template.js';
export { templateFingerprint, shortFingerprint } from './template/fingerprint.js';
export type { Template, TemplateDefinition, ValidationTest, SetupStep, BaseSource } from './template/model.js';
export { loadConfig, type ConfigFile, type LoadedConfig } from './config/config.js';

export { lint, lintTemplate, type LintActionOptions } from './actions/lint.js';
export type { LintReport } from './template/lint/lint-templates.js';
export { show } from './actions/show.js';
export { build, type BuildOptions, type BuildResult } from './actions/build.js';
export { validate, type ValidateOptions, type ValidateResult } from './actions/validate.js';
export { sweep, type SweepOptions, type SweepReport } from './actions/sweep.js';
export { createRenderer, type Renderer, type RenderMode } from './render/run-renderer.js';
export type { Provider } from './providers/provider.js';
