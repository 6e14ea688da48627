import pkg from '../../../package.json';

export const FERRY_VERSION: string = pkg.version;
