import { makeBusyboxLayer, makeLayerTar, writeOciImage, type FileSpec, type TestImage } from './test-images';
import { VLLM_SCRIPT, withEntrypoint } from './standin-images';

/**
 * Stand-ins for the Keeptrusts air-gapped stack (seed 002), built from busybox-static and named
 * as the recipe's images (keeptrusts/api, gateway, console, admin:2.5.0, library/postgres:16-alpine,
 * vllm/vllm-openai:latest). Each checks what the seed's compose file gives it and exits 1
 * naming the problem:
 *
 * - postgres: needs POSTGRES_DB/USER/PASSWORD; writes a marker into its data dir (the named
 *   volume; kept across restarts), publishes the password's sha256 and serves on 5432
 *   (busybox httpd); `pg_isready` in PATH succeeds once it is up.
 * - api: DATABASE_URL must be postgres://keeptrusts:PW@postgres:5432/keeptrusts and postgres
 *   must answer at once with the same password (no retry: started early it exits), the JWT
 *   secret and encryption key 64 hex; then serves /health on 8080.
 * - gateway: KEEPTRUSTS_API_URL set; serves /health on 41002 and POST /v1/chat/completions,
 *   the latter only when /etc/keeptrusts/policy-config.yaml exists: it asks the policy's
 *   target url for /v1/models and answers with `choices` when the requested model is listed.
 * - console: serves / on 3000; admin: serves on 3001 inside only.
 * - local-llm: the vLLM stand-in (standin-images.ts) with tensor parallel 1 by default.
 */

export const KT_TAG = '2.5.0';
export const KT_NAMES = {
  api: `keeptrusts-api:${KT_TAG}`,
  gateway: `keeptrusts-gateway:${KT_TAG}`,
  console: `keeptrusts-console:${KT_TAG}`,
  admin: `keeptrusts-admin:${KT_TAG}`,
  postgres: 'postgres:16-alpine',
  vllm: 'vllm-openai:latest',
} as const;
/** Repository (under docker.io) each stand-in is served as. */
export const KT_REPOS: Record<keyof typeof KT_NAMES, string> = {
  api: `keeptrusts/api:${KT_TAG}`,
  gateway: `keeptrusts/gateway:${KT_TAG}`,
  console: `keeptrusts/console:${KT_TAG}`,
  admin: `keeptrusts/admin:${KT_TAG}`,
  postgres: 'library/postgres:16-alpine',
  vllm: 'vllm/vllm-openai:latest',
};
export const PG_MARKER = 'ferry-standin-initialized';

const SERVE = (port: number, dir: string): string => `# In the foreground but not as PID 1, so that docker stop's SIGTERM ends it at once.
httpd -f -v -p ${port} -h ${dir} -c /etc/httpd.conf &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
`;

const POSTGRES = `#!/bin/sh
fail() { echo "postgres stand-in: $*" >&2; exit 1; }
for v in POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD; do
  eval "val=\\\${$v-}"
  [ -n "$val" ] || fail "$v is not set"
done
data=/var/lib/postgresql/data
mkdir -p "$data" /www
if [ -f "$data/${PG_MARKER}" ]; then echo "postgres stand-in: existing data in $data"; else
  printf 'db=%s user=%s\\n' "$POSTGRES_DB" "$POSTGRES_USER" > "$data/${PG_MARKER}"
  echo "postgres stand-in: initialized $data"
fi
printf '%s' "$POSTGRES_PASSWORD" | sha256sum | cut -d' ' -f1 > /www/pw
: > /www/ready
${SERVE(5432, '/www')}`;

const PG_ISREADY = `#!/bin/sh
[ -f /www/ready ] && wget -q -O /dev/null http://127.0.0.1:5432/ready && echo "/var/run/postgresql:5432 - accepting connections"
`;

const API = `#!/bin/sh
fail() { echo "api stand-in: $*" >&2; exit 1; }
case "\${DATABASE_URL-}" in postgres://keeptrusts:?*@postgres:5432/keeptrusts) ;; *) fail "DATABASE_URL must be postgres://keeptrusts:PASSWORD@postgres:5432/keeptrusts, got '\${DATABASE_URL-}'" ;; esac
for v in KEEPTRUSTS_JWT_SECRET KEEPTRUSTS_SECRET_ENCRYPTION_KEY; do
  eval "val=\\\${$v-}"
  echo "$val" | grep -qE '^[0-9a-f]{64}$' || fail "$v must be 64 hex characters"
done
pw=\${DATABASE_URL#postgres://keeptrusts:}; pw=\${pw%@postgres:5432/keeptrusts}
want=$(wget -q -O- http://postgres:5432/pw) || fail "cannot connect to postgres:5432"
[ "$(printf '%s' "$pw" | sha256sum | cut -d' ' -f1)" = "$want" ] || fail "password authentication failed for user keeptrusts"
mkdir -p /www && echo '{"status":"ok","database":"connected"}' > /www/health
echo "api stand-in: connected to postgres:5432; serving on 8080"
${SERVE(8080, '/www')}`;

const GATEWAY = `#!/bin/sh
[ -n "\${KEEPTRUSTS_API_URL-}" ] || { echo "gateway stand-in: KEEPTRUSTS_API_URL is not set" >&2; exit 1; }
echo "gateway stand-in: serving on 41002"
nc -ll -p 41002 -e /usr/local/bin/gateway-handler &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
`;

const GATEWAY_HANDLER = `#!/bin/sh
reply() { printf 'HTTP/1.0 %s\\r\\nContent-Type: application/json\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s' "$1" "\${#2}" "$2"; exit 0; }
read -r method path _
len=0
while read -r line; do
  line=$(printf '%s' "$line" | tr -d '\\r')
  [ -z "$line" ] && break
  case "$line" in [Cc]ontent-[Ll]ength:*) len=$(echo "\${line#*:}" | tr -d ' ') ;; esac
done
body=
[ "$len" -gt 0 ] 2>/dev/null && body=$(head -c "$len")
case "$method $path" in
  "GET /health") reply "200 OK" '{"status":"ok"}' ;;
  "POST /v1/chat/completions")
    cfg=/etc/keeptrusts/policy-config.yaml
    [ -f "$cfg" ] || reply "503 Service Unavailable" '{"error":"no policy configuration at /etc/keeptrusts/policy-config.yaml"}'
    url=$(grep -m1 -E '^ *url:' "$cfg" | sed -e 's/^ *url: *//' -e 's/[" ]//g')
    model=$(printf '%s' "$body" | sed -n 's/.*"model" *: *"\\([^"]*\\)".*/\\1/p')
    models=$(wget -q -O- "$url/v1/models") || reply "502 Bad Gateway" "{\\"error\\":\\"target $url unreachable\\"}"
    case "$models" in *"\\"$model\\""*) ;; *) reply "404 Not Found" "{\\"error\\":\\"model '$model' not served by $url\\"}" ;; esac
    reply "200 OK" "{\\"object\\":\\"chat.completion\\",\\"model\\":\\"$model\\",\\"choices\\":[{\\"index\\":0,\\"message\\":{\\"role\\":\\"assistant\\",\\"content\\":\\"hello from $url\\"}}]}" ;;
  *) reply "404 Not Found" '{"error":"not found"}' ;;
esac
`;

const SIMPLE = (what: string, port: number): string => `#!/bin/sh
[ -n "\${KEEPTRUSTS_API_URL-}" ] || { echo "${what} stand-in: KEEPTRUSTS_API_URL is not set" >&2; exit 1; }
echo "${what} stand-in: serving on ${port}"
${SERVE(port, '/www')}`;

/** Real vLLM defaults --tensor-parallel-size to 1; the Duo stand-in insists on it. */
const VLLM_WRAPPER = `#!/bin/sh
case " $* " in *" --tensor-parallel-size "*) exec /usr/local/bin/vllm-standin "$@" ;; esac
exec /usr/local/bin/vllm-standin "$@" --tensor-parallel-size 1
`;

const APPLETS = ['mkdir', 'test', 'printf', 'grep', 'head', 'sha256sum', 'cut', 'nc', 'tr', 'sed'];
const dir = (path: string): FileSpec => ({ path, type: 'directory' });
const exe = (name: string, content: string): FileSpec => ({ path: `usr/local/bin/${name}`, content, mode: 0o755 });

export type KeeptrustsStandins = Record<keyof typeof KT_NAMES, TestImage>;

/** Builds the six stand-ins into the OCI layout at `layoutDir`. */
export async function buildKeeptrustsStandins(layoutDir: string): Promise<KeeptrustsStandins> {
  const base = await makeBusyboxLayer();
  const common: FileSpec[] = [
    ...APPLETS.map((a): FileSpec => ({ path: `bin/${a}`, type: 'symlink', linkname: 'busybox' })),
    dir('etc/'),
    { path: 'etc/httpd.conf', content: '# busybox httpd: defaults\n' },
    dir('usr/'),
    dir('usr/local/'),
    dir('usr/local/bin/'),
  ];
  const image = async (key: keyof typeof KT_NAMES, files: FileSpec[], entrypoint: string, ports: string[]): Promise<TestImage> => {
    const img = writeOciImage(layoutDir, { name: KT_NAMES[key], layers: [base, await makeLayerTar([...common, ...files])], cmd: [], exposedPorts: ports });
    return withEntrypoint(layoutDir, img, [entrypoint]);
  };
  const www = (index: string): FileSpec[] => [dir('www/'), { path: 'www/index.html', content: index }];
  return {
    postgres: await image('postgres', [exe('docker-entrypoint.sh', POSTGRES), exe('pg_isready', PG_ISREADY)], '/usr/local/bin/docker-entrypoint.sh', ['5432/tcp']),
    api: await image('api', [exe('keeptrusts-api', API)], '/usr/local/bin/keeptrusts-api', ['8080/tcp']),
    gateway: await image('gateway', [exe('keeptrusts-gateway', GATEWAY), exe('gateway-handler', GATEWAY_HANDLER)], '/usr/local/bin/keeptrusts-gateway', ['41002/tcp']),
    console: await image('console', [exe('keeptrusts-console', SIMPLE('console', 3000)), ...www('<html><body>Keeptrusts console stand-in</body></html>\n')], '/usr/local/bin/keeptrusts-console', ['3000/tcp']),
    admin: await image('admin', [exe('keeptrusts-admin', SIMPLE('admin', 3001)), ...www('admin stand-in\n')], '/usr/local/bin/keeptrusts-admin', ['3001/tcp']),
    vllm: await image('vllm', [exe('vllm-standin', VLLM_SCRIPT), exe('vllm', VLLM_WRAPPER), dir('www/'), dir('www/v1/')], '/usr/local/bin/vllm', ['8000/tcp']),
  };
}
