/**
 * prism-ami as a library: everything the `prism` CLI does is a function here with typed
 * options. The CLI only parses flags, picks a renderer and maps errors to exit codes.
 */
export { PrismError, isPrismError, type ErrorCode } from './core/errors.js';
export { ExitCode, exitCodeOf, exitCodeOfRun, type RunStatus } from './core/exit-codes.js';
export type { Diagnostic } from './core/diagnostic.js';
export type { BuildEvent, EventSink, Target, TestResult, ImageInfo } from './core/events.js';
export { ARCHITECTURES, type Architecture, type ProviderName } from './core/types.js';

export { loadConfig, type ConfigFile, type LoadedConfig } from './config/config.js';
export { resolveSettings, type Settings, type SettingsFlags, type SettingsInput } from './config/settings.js';

export { loadTemplate, TemplateLibrary, type LoadTemplateOptions, type TemplateRef } from './template/library.js';
export { parseTemplate, type ParsedTemplate, type TemplateParseResult } from './template/parse-template.js';
export { templateFingerprint, shortFingerprint } from './template/fingerprint.js';
export type { Template, TemplateDefinition, ValidationTest, SetupStep, BaseSource } from './template/model.js';

export { lint, lintTemplate, type LintActionOptions } from './actions/lint.js';
export type { LintReport } from './template/lint/lint-templates.js';
export { show } from './actions/show.js';
export { convert, type ConvertOptions, type ConvertReport } from './actions/convert.js';
export { build, type BuildOptions, type BuildResult } from './actions/build.js';
export { buildAll, type BuildAllOptions, type BuildAllResult, type TargetRow, type TargetResult } from './actions/build-all.js';
export { makePlan as plan, type PlanOptions, type PlanResult } from './actions/plan.js';
export type { BuildPlan, PlanItem } from './plan/model.js';
export { validate, type ValidateOptions, type ValidateResult } from './actions/validate.js';
export { cleanup, type CleanupOptions, type CleanupReport } from './actions/cleanup.js';
export { sweep, type SweepOptions, type SweepReport } from './actions/sweep.js';
export { resolveImage as resolve, type ResolveOptions, type Resolved } from './actions/resolve.js';
export { rollbackImage as rollback, type RollbackOptions, type RollbackReport } from './actions/rollback.js';
export { revokeImage as revoke, type RevokeOptions, type RevokeReport } from './actions/revoke.js';
export { updateTemplates, type UpdateTemplatesOptions, type UpdateTemplatesReport } from './actions/update-templates.js';
export { updateRegistry, type UpdateRegistryOptions, type UpdateRegistryReport } from './actions/update-registry.js';
export { importLegacy, type ImportLegacyOptions, type ImportReport } from './actions/import-legacy.js';
export { publishSsm, type PublishSsmOptions, type PublishSsmReport } from './actions/publish-ssm.js';
export { listRegistry, type ListRegistryOptions, type ListedImage } from './actions/list-registry.js';
export {
  showManifest,
  diffImages,
  type ManifestOptions,
  type ManifestImage,
  type DiffOptions,
  type DiffReport,
} from './actions/manifest.js';
export { reportModel, writeSite, type ReportOptions, type ReportSiteResult } from './actions/report.js';
export type { SiteModel } from './actions/report-model.js';
export { renderSite } from './render/report-site/site.js';
export type { ImageManifest, ManifestPackage, Ecosystem } from './core/manifest.js';
export { diffManifests, type ManifestDiff, type EcosystemDiff } from './registry/manifest/diff.js';

export { createRenderer, type Renderer, type RenderMode } from './render/run-renderer.js';
export { createMultiRenderer } from './render/build-all-view.js';
export type { Provider } from './providers/provider.js';
export type { RegistryDocument } from './registry/model.js';
