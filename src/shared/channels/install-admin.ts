import { z } from 'zod';
import { channel } from '../contract';

// Compose export: the files an admin who runs Compose needs, returned for download (the CLI writes them).

export interface ComposeFileView {
  name: 'docker-compose.yml' | '.env';
  content: string;
  /** File mode to write it with (.env holds the generated secrets: 0600). */
  mode: number;
}

export interface ComposeExportView {
  installId: string;
  project: string;
  /** The command that starts the stack from the folder holding the files. */
  command: string;
  files: ComposeFileView[];
}

export const INSTALL_ADMIN_CHANNELS = {
  'install:export-compose': channel(z.strictObject({ installId: z.string().min(1).max(64) })).returns<ComposeExportView>(),
};
