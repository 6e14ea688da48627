// The part of the output-folder rule both the create form and the main process check (the
// main process also checks the parent exists: src/main/bundle/output-folder.ts).

const ABSOLUTE = /^(\/|[A-Za-z]:[\\/]|\\\\)/;

/** Why this output folder path is refused before anything touches the disk; undefined when it is fine. */
export function outputFolderPathProblem(path: string): string | undefined {
  const p = path.trim();
  if (!p) return 'The output folder is empty.';
  if (!ABSOLUTE.test(p)) return `The output folder "${p}" is a relative path; it would land wherever the server process happens to run. Give an absolute path, e.g. /media/usb0/bundle-2026-12.`;
  return undefined;
}
