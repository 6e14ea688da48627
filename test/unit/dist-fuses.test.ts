import { describe, expect, it } from 'vitest';
import config, { FERRY_FUSES } from '../../electron-builder.config';

// The packaged desktop app's hardening, as electron-builder reads it (electron-builder.config.ts).
// dist-package.test.ts packs a build with it and reads the fuses back from the binary.

describe('electron-builder configuration', () => {
  it('flips the Electron fuses Ferry needs', () => {
    const fuses = config.electronFuses!;
    expect(fuses).toBe(FERRY_FUSES);
    expect(fuses.runAsNode).toBe(false);
    expect(fuses.enableCookieEncryption).toBe(true);
    expect(fuses.enableNodeOptionsEnvironmentVariable).toBe(false);
    expect(fuses.enableNodeCliInspectArguments).toBe(false);
    expect(fuses.enableEmbeddedAsarIntegrityValidation).toBe(true);
    expect(fuses.onlyLoadAppFromAsar).toBe(true);
    // The window loads out/renderer with loadFile: the file:// privileges stay as Electron ships them.
    expect(fuses.grantFileProtocolExtraPrivileges).toBeUndefined();
  });

  it('packs the app into app.asar with better-sqlite3 unpacked', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(['**/node_modules/better-sqlite3/**']);
    expect(config.files).toContain('out/**/*');
  });

  it('builds an AppImage and a .deb whose executable is not the CLI\'s name', () => {
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.linux?.executableName).toBe('ferry-desktop');
    expect(config.linux?.maintainer).toMatch(/<.+@.+>/); // dpkg needs a maintainer with an address
  });
});
