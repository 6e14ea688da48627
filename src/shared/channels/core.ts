import { z } from 'zod';
import { channel } from '../contract';
import type { AppInfo, CustodyEvent, JobInfo, RecipeInfo, ResolvedRecipe } from '../api';
import { list, none, text } from './fields';

// The core channels: the app, bundle jobs (create, verify, import), jobs, the custody log and recipes.

export const CORE_CHANNELS = {
  'app:info': channel(none).returns<AppInfo>(),
  'bundle:create': channel(
    z.strictObject({
      images: list,
      /** REPO or REPO@REVISION */
      models: list,
      outDir: text().min(1),
      hubUrl: text(1024).optional(),
      platform: text(64).optional(),
      insecureRegistries: list.optional(),
      /** Recipe id (or path to a recipe file); its artifacts are bundled with any images/models given. */
      recipe: text(1024).optional(),
      /** Recipe parameter values (`--set name=value`). */
      params: z.record(text(64), text(1024)).optional(),
      /** `SOURCE=HOST[:PORT][/PREFIX]`: fetch SOURCE's content from a mirror; the bundle keeps the source names. */
      mirrors: list.optional(),
      /** A lock file (`ferry recipe resolve --lock-out`) to acquire exactly, instead of resolving. */
      lockFile: text().optional(),
      /** Ollama models NAME[:TAG]. */
      ollama: list.optional(),
      /** Local files or folders. */
      files: list.optional(),
      /** Hugging Face cache folder to take model files from before the hub. */
      hfCache: text().optional(),
      /** Ollama models folder to take Ollama models from before the registry. */
      ollamaDir: text().optional(),
      /** Parallel transfers (default 8). */
      concurrency: z.number().int().min(1).max(64).optional(),
      /** A signed offline inventory file (`ferry inventory export`): leave out what it lists, making a delta bundle. */
      inventory: text().optional(),
      /** A Markdown file carried as notes/RELEASE-NOTES.md (shown by `ferry upgrade`). */
      releaseNotes: text().optional(),
      /** A Markdown file carried as notes/MIGRATION-GUIDE.md (shown by `ferry upgrade`). */
      migrationGuide: text().optional(),
    }),
  ).returns<JobInfo>(),
  'bundle:verify': channel(z.strictObject({ dir: text().min(1) })).returns<JobInfo>(),
  'bundle:import': channel(
    z.strictObject({
      dir: text().min(1),
      /** HOST[:PORT][/PREFIX] */
      registry: text(1024).optional(),
      caFile: text().optional(),
      username: text(256).optional(),
      password: text(4096).optional(),
      insecureRegistries: list.optional(),
      docker: z.boolean().optional(),
      /** Docker engine address (unix:///path or tcp://host:port); default DOCKER_HOST or the local socket. */
      dockerHost: text(1024).optional(),
      modelsDir: text().optional(),
      /** OLLAMA_MODELS folder to restore the bundle's Ollama models into. */
      ollamaModels: text().optional(),
      /** Ollama server (http://HOST:PORT) that must then list them in /api/tags. */
      ollamaUrl: text(1024).optional(),
    }),
  ).returns<JobInfo>(),
  'job:list': channel(none).returns<JobInfo[]>(),
  'job:get': channel(z.strictObject({ id: z.uuid() })).returns<JobInfo>(),
  'job:cancel': channel(z.strictObject({ id: z.uuid() })).returns<JobInfo>(),
  'custody:list': channel(z.strictObject({ bundleId: text(64).optional(), limit: z.number().int().min(1).max(10_000).optional() })).returns<CustodyEvent[]>(),
  'recipe:list': channel(none).returns<RecipeInfo[]>(),
  'recipe:show': channel(z.strictObject({ id: text(1024).min(1) })).returns<RecipeInfo>(),
  'recipe:resolve': channel(
    z.strictObject({
      recipe: text(1024).min(1),
      params: z.record(text(64), text(1024)).optional(),
      platform: text(64).optional(),
      hubUrl: text(1024).optional(),
      mirrors: list.optional(),
      insecureRegistries: list.optional(),
      hfCache: text().optional(),
      ollamaDir: text().optional(),
    }),
  ).returns<ResolvedRecipe>(),
};
