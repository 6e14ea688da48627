import type { Configuration } from 'electron-builder';

// `npm run dist` (scripts/dist.ts): the desktop app as an AppImage and a .deb, from the build in out/.
// test/unit/dist-fuses.test.ts reads this object and checks every fuse and the asar settings.

/**
 * Electron fuses, flipped in the packaged binary (electron-builder runs @electron/fuses after packing).
 * grantFileProtocolExtraPrivileges keeps its default: the window loads out/renderer with loadFile.
 */
export const FERRY_FUSES = {
  /** ELECTRON_RUN_AS_NODE would turn the signed app into a general Node.js interpreter. */
  runAsNode: false,
  /** Chromium's cookie store encrypted with the OS keyring. */
  enableCookieEncryption: true,
  /** NODE_OPTIONS / NODE_EXTRA_CA_CERTS ignored: no code injected through the environment. */
  enableNodeOptionsEnvironmentVariable: false,
  /** --inspect and SIGUSR1 ignored: no debugger attached to the main process. */
  enableNodeCliInspectArguments: false,
  /** app.asar checked against the hash embedded in the binary where Electron supports it. */
  enableEmbeddedAsarIntegrityValidation: true,
  /** Only app.asar is loaded (never an app/ folder beside it). */
  onlyLoadAppFromAsar: true,
} as const;

const config: Configuration = {
  appId: 'dev.ferry.desktop',
  productName: 'Ferry',
  directories: { output: 'dist' },
  // The build (electron-vite) is the app: main, preload and renderer in out/; npm dependencies are added by electron-builder.
  files: ['out/**/*', 'package.json', '!out/**/*.map'],
  // Built-in recipes next to app.asar, where recipe-catalog.ts looks (process.resourcesPath/recipes).
  extraResources: [{ from: 'resources/recipes', to: 'recipes' }],
  asar: true,
  // better-sqlite3 is a native addon: its .node file must be a real file on disk to be dlopen()ed.
  asarUnpack: ['**/node_modules/better-sqlite3/**'],
  // Rebuilt against Electron's ABI (@electron/rebuild; needs Electron's headers).
  npmRebuild: true,
  electronFuses: FERRY_FUSES,
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Utility',
    // Not `ferry`: that name is the CLI's (bin/ferry.js, the offline kit's launcher).
    executableName: 'ferry-desktop',
    synopsis: 'Move self-hosted AI stacks across an air gap',
    description: 'Move self-hosted AI stacks across an air gap, with a verifiable chain of custody',
    maintainer: 'Ferry maintainers <ferry@localhost>',
  },
  deb: { packageCategory: 'utils', priority: 'optional' },
  artifactName: '${productName}-${version}-${arch}.${ext}',
  publish: null,
};

export default config;
