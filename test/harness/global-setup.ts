// Filled in once the service harnesses land; each integration file may also start its own.
export default async function setup(): Promise<void> {}
