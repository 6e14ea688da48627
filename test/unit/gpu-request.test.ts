import { describe, expect, test } from 'vitest';
import { gpuHostConfig, gpuRunFlags } from '../../src/main/install/engine/gpu-request';
import { UsageError } from '../../src/shared/errors';

describe('gpuHostConfig', () => {
  test('docker: an nvidia device request, Count -1 for all', () => {
    expect(gpuHostConfig('docker', 'all')).toEqual({ DeviceRequests: [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }] });
    expect(gpuHostConfig('docker', 2)).toEqual({ DeviceRequests: [{ Driver: 'nvidia', Count: 2, Capabilities: [['gpu']] }] });
  });

  test('podman: a CDI device request and label separation disabled', () => {
    expect(gpuHostConfig('podman', 'all')).toEqual({
      DeviceRequests: [{ Driver: 'cdi', Count: 0, DeviceIDs: ['nvidia.com/gpu=all'], Capabilities: [['cdi']] }],
      SecurityOpt: ['label=disable'],
    });
    const two = gpuHostConfig('podman', 2) as { DeviceRequests: { DeviceIDs: string[] }[] };
    expect(two.DeviceRequests[0]!.DeviceIDs).toEqual(['nvidia.com/gpu=0', 'nvidia.com/gpu=1']);
  });

  test('a GPU count that is not a whole number ≥ 1 is a usage error', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => gpuHostConfig('docker', bad)).toThrow(UsageError);
      expect(() => gpuRunFlags('podman', bad)).toThrow(/gpu: must be "all"/);
    }
  });
});

describe('gpuRunFlags', () => {
  test('as the seed writes them', () => {
    expect(gpuRunFlags('docker', 'all')).toEqual(['--gpus', 'all']);
    expect(gpuRunFlags('podman', 'all')).toEqual(['--device', 'nvidia.com/gpu=all', '--security-opt', 'label=disable']);
  });

  test('a number of GPUs', () => {
    expect(gpuRunFlags('docker', 4)).toEqual(['--gpus', '4']);
    expect(gpuRunFlags('podman', 2)).toEqual(['--device', 'nvidia.com/gpu=0', '--device', 'nvidia.com/gpu=1', '--security-opt', 'label=disable']);
  });
});
