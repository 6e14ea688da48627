import { test as base } from '@playwright/test';
import { startDemoStack, type DemoStack } from '../test/harness/demo-stack';

/** One real stack per worker: a source registry with test images, a hub stand-in, `ferry serve`. */
export const test = base.extend<{ stack: DemoStack }, { workerStack: DemoStack }>({
  workerStack: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const stack = await startDemoStack();
      try {
        await use(stack);
      } finally {
        await stack.stop();
      }
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  stack: async ({ workerStack }, use) => use(workerStack),
});

export { expect } from '@playwright/test';
