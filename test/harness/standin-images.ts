import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxLayer, makeLayerTar, sha256, writeOciImage, type TestImage } from './test-images';

/**
 * Stand-ins for the GitLab Duo Self-Hosted images, built from busybox-static (nothing is
 * pulled). Named as the recipe's internal-registry targets with its default tags, so
 * `pushTestImages(layoutDir, host, 'duo')` puts them where the install expects them.
 *
 * - AI Gateway: checks the environment the GitLab docs prescribe (AIGW_GITLAB_URL https,
 *   AIGW_GITLAB_API_URL …/api/v4/, the four JWT keys PEM, DUO_WORKFLOW_AUTH__ENABLED=true,
 *   DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL set and empty, a CA bundle readable when
 *   REQUESTS_CA_BUNDLE is set) and exits 1 naming the problem; otherwise serves
 *   /monitoring/healthz on 5052 and listens on 50052.
 * - vLLM: entrypoint takes `--model DIR --served_model_name NAME --tensor-parallel-size N`,
 *   needs DIR/config.json, serves /health and /v1/models (listing NAME) on 8000.
 * - executor: plain busybox.
 */

export const STANDIN_NAMES = {
  aiGateway: 'ai-gateway:self-hosted-v18.10.0-ee',
  vllm: 'vllm-openai:v0.18.1',
  executor: 'workflow-generic-image:v0.0.6',
} as const;

export const AIGW_SCRIPT = `#!/bin/sh
# Ferry test stand-in for the GitLab AI Gateway.
fail() { echo "ai-gateway stand-in: $*" >&2; exit 1; }
for v in AIGW_GITLAB_URL AIGW_GITLAB_API_URL; do
  eval "val=\\\${$v-}"
  [ -n "$val" ] || fail "$v is not set"
done
case "$AIGW_GITLAB_URL" in https://?*) ;; *) fail "AIGW_GITLAB_URL must be https://GITLAB_DOMAIN, got '$AIGW_GITLAB_URL'" ;; esac
case "$AIGW_GITLAB_API_URL" in https://?*/api/v4/) ;; *) fail "AIGW_GITLAB_API_URL must be https://GITLAB_DOMAIN/api/v4/, got '$AIGW_GITLAB_API_URL'" ;; esac
for v in AIGW_SELF_SIGNED_JWT__SIGNING_KEY AIGW_SELF_SIGNED_JWT__VALIDATION_KEY DUO_WORKFLOW_SELF_SIGNED_JWT__SIGNING_KEY DUO_WORKFLOW_SELF_SIGNED_JWT__VALIDATION_KEY; do
  eval "val=\\\${$v-}"
  case "$val" in "-----BEGIN "*"KEY-----"*"-----END "*"KEY-----"*) ;; *) fail "$v is not a PEM key" ;; esac
done
[ "\${DUO_WORKFLOW_AUTH__ENABLED-}" = true ] || fail "DUO_WORKFLOW_AUTH__ENABLED must be true"
[ "\${DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL+set}" = set ] || fail "DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL is not set (offline it must be set and empty)"
[ -z "$DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL" ] || fail "DUO_WORKFLOW_AUTH__OIDC_CUSTOMER_PORTAL_URL must be empty offline"
if [ -n "\${REQUESTS_CA_BUNDLE-}" ]; then
  [ -r "$REQUESTS_CA_BUNDLE" ] || fail "REQUESTS_CA_BUNDLE $REQUESTS_CA_BUNDLE is not readable"
  [ "\${SSL_CERT_FILE-}" = "$REQUESTS_CA_BUNDLE" ] || fail "SSL_CERT_FILE must equal REQUESTS_CA_BUNDLE"
fi
echo "ai-gateway stand-in: environment ok; serving on 5052 and 50052"
httpd -p 50052 -h /www-grpc -c /etc/httpd.conf
# In the foreground but not as PID 1, so that docker stop's SIGTERM ends it at once.
httpd -f -v -p 5052 -h /www -c /etc/httpd.conf &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
`;

export const VLLM_SCRIPT = `#!/bin/sh
# Ferry test stand-in for the vLLM OpenAI-compatible server.
fail() { echo "vllm stand-in: $*" >&2; exit 1; }
model= name= tp=
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || fail "$1 needs a value"
  case "$1" in
    --model) model=$2 ;;
    --served_model_name|--served-model-name) name=$2 ;;
    --tensor-parallel-size) tp=$2 ;;
    *) fail "unknown argument $1" ;;
  esac
  shift 2
done
[ -n "$model" ] || fail "--model is required"
[ -f "$model/config.json" ] || fail "$model/config.json not found: no model at $model"
[ -n "$name" ] || fail "--served_model_name is required"
case "$tp" in ''|*[!0-9]*|0) fail "--tensor-parallel-size must be a positive number, got '$tp'" ;; esac
printf '{"object":"list","data":[{"id":"%s","object":"model","owned_by":"vllm"}]}\\n' "$name" > /www/v1/models
: > /www/health
echo "vllm stand-in: serving $name from $model (tensor parallel $tp) on 8000"
# In the foreground but not as PID 1, so that docker stop's SIGTERM ends it at once.
httpd -f -v -p 8000 -h /www -c /etc/httpd.conf &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
`;

/** Rewrites an image of the layout with an Entrypoint (writeOciImage sets only Cmd). */
export function withEntrypoint(layoutDir: string, img: TestImage, entrypoint: string[]): TestImage {
  const blob = (d: string): string => join(layoutDir, 'blobs', 'sha256', d.slice(7));
  const manifest = JSON.parse(readFileSync(blob(img.manifestDigest), 'utf8'));
  const config = JSON.parse(readFileSync(blob(img.configDigest), 'utf8'));
  config.config.Entrypoint = entrypoint;
  config.config.Cmd = [];
  const configText = JSON.stringify(config);
  const configDigest = sha256(configText);
  writeFileSync(blob(configDigest), configText);
  manifest.config = { ...manifest.config, digest: configDigest, size: Buffer.byteLength(configText) };
  const manifestText = JSON.stringify(manifest);
  const manifestDigest = sha256(manifestText);
  writeFileSync(blob(manifestDigest), manifestText);
  const indexPath = join(layoutDir, 'index.json');
  const index = JSON.parse(readFileSync(indexPath, 'utf8'));
  for (const m of index.manifests) {
    if (m.annotations?.['org.opencontainers.image.ref.name'] === img.name) Object.assign(m, { digest: manifestDigest, size: Buffer.byteLength(manifestText) });
  }
  writeFileSync(indexPath, JSON.stringify(index));
  return { ...img, manifestDigest, configDigest };
}

const EXTRA_APPLETS = ['mkdir', 'test', 'printf', 'grep', 'head'];

/** Builds the three stand-ins into the OCI layout at `layoutDir` (created if needed). */
export async function buildStandinImages(layoutDir: string): Promise<{ aiGateway: TestImage; vllm: TestImage; executor: TestImage }> {
  const base = await makeBusyboxLayer();
  const common = [
    ...EXTRA_APPLETS.map((a) => ({ path: `bin/${a}`, type: 'symlink' as const, linkname: 'busybox' })),
    { path: 'etc/', type: 'directory' as const },
    { path: 'etc/httpd.conf', content: '# busybox httpd: defaults\n' },
  ];
  const aigwLayer = await makeLayerTar([
    ...common,
    { path: 'usr/', type: 'directory' },
    { path: 'usr/local/', type: 'directory' },
    { path: 'usr/local/bin/', type: 'directory' },
    { path: 'usr/local/bin/ai-gateway-standin', content: AIGW_SCRIPT, mode: 0o755 },
    { path: 'www/', type: 'directory' },
    { path: 'www/monitoring/', type: 'directory' },
    { path: 'www/monitoring/healthz', content: '{"status":"ok"}\n' },
    { path: 'www-grpc/', type: 'directory' },
    { path: 'www-grpc/index.html', content: 'duo workflow service stand-in\n' },
  ]);
  const vllmLayer = await makeLayerTar([
    ...common,
    { path: 'usr/', type: 'directory' },
    { path: 'usr/local/', type: 'directory' },
    { path: 'usr/local/bin/', type: 'directory' },
    { path: 'usr/local/bin/vllm-standin', content: VLLM_SCRIPT, mode: 0o755 },
    { path: 'www/', type: 'directory' },
    { path: 'www/v1/', type: 'directory' },
  ]);
  const aiGateway = writeOciImage(layoutDir, {
    name: STANDIN_NAMES.aiGateway,
    layers: [base, aigwLayer],
    cmd: [],
    exposedPorts: ['5052/tcp', '50052/tcp'],
  });
  const vllm = writeOciImage(layoutDir, { name: STANDIN_NAMES.vllm, layers: [base, vllmLayer], cmd: [], exposedPorts: ['8000/tcp'] });
  const executor = writeOciImage(layoutDir, { name: STANDIN_NAMES.executor, layers: [base], cmd: ['/bin/sh'] });
  return {
    aiGateway: withEntrypoint(layoutDir, aiGateway, ['/usr/local/bin/ai-gateway-standin']),
    vllm: withEntrypoint(layoutDir, vllm, ['/usr/local/bin/vllm-standin']),
    executor,
  };
}
