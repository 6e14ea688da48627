/**
 * The TCP probe run inside a container (`sh -c PROBE_SCRIPT ferry-probe HOST PORT SECONDS`), and
 * how its output is read. It uses whatever the image has, in this order: python3
 * (socket.create_connection), bash (/dev/tcp), nc (or busybox nc), curl, wget (or busybox
 * wget). Tools are looked up as real files on PATH (not through `command -v`, which busybox's
 * standalone shell answers for applets it does not have as files). Proxy variables are unset so
 * the probe connects directly. Each tool runs under a watchdog (sleep, busybox sleep, or bash's
 * `read -t`) that kills it a little after the per-target timeout.
 *
 * Output protocol: a line `FERRY_PROBE_TOOL <tool>`, the tool's own output, then
 * `FERRY_PROBE_RC <exit status>` (143 when the watchdog killed it). Without a tool:
 * `FERRY_PROBE_NOTOOL`.
 */
export const PROBE_SCRIPT = String.raw`
h=$1; p=$2; t=$3
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
set -f
find_exe() {
  _o=$IFS; IFS=:
  for _d in ${'$'}{PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}; do
    if [ -n "$_d" ] && [ -f "$_d/$1" ] && [ -x "$_d/$1" ]; then IFS=$_o; echo "$_d/$1"; return 0; fi
  done
  IFS=$_o; return 1
}
py=$(find_exe python3); bash_=$(find_exe bash); nc_=$(find_exe nc); curl_=$(find_exe curl)
wget_=$(find_exe wget); bb=$(find_exe busybox); sleep_=$(find_exe sleep)
case "$h" in *:*) uh="[$h]" ;; *) uh=$h ;; esac
url="http://$uh:$p/"
w=$((t + 2))
pause() {
  if [ -n "$sleep_" ]; then "$sleep_" "$1"
  elif [ -n "$bb" ]; then "$bb" sleep "$1"
  elif [ -n "$bash_" ]; then "$bash_" -c 'read -t "$0" <> <(:)' "$1"; return 0
  else return 1; fi
}
bounded() {
  tool=$1; shift
  echo "FERRY_PROBE_TOOL $tool"
  "$@" </dev/null 2>&1 &
  pid=$!
  ( pause "$w" && kill "$pid" ) >/dev/null 2>&1 </dev/null &
  wd=$!
  wait "$pid"; rc=$?
  kill "$wd" 2>/dev/null
  echo; echo "FERRY_PROBE_RC $rc"
  exit 0
}
if [ -n "$py" ]; then
  bounded python3 "$py" -c 'import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    print("connected")
except socket.timeout:
    print("timed out"); sys.exit(3)
except OSError as e:
    print(e); sys.exit(2)' "$h" "$p" "$t"
fi
if [ -n "$bash_" ]; then
  bounded bash "$bash_" -c 'exec 3<>"/dev/tcp/$0/$1" && echo connected' "$h" "$p"
fi
if [ -n "$nc_" ]; then
  case "$("$nc_" -h 2>&1)" in
    *" -z"*) bounded nc "$nc_" -v -z -w "$t" "$h" "$p" ;;
    *) bounded nc "$nc_" -w "$t" "$h" "$p" ;;
  esac
fi
if [ -n "$bb" ] && "$bb" nc --help >/dev/null 2>&1; then
  bounded "busybox nc" "$bb" nc -w "$t" "$h" "$p"
fi
if [ -n "$curl_" ]; then
  bounded curl "$curl_" -sS -o /dev/null --noproxy '*' -w 'time_connect=%{time_connect}\n' --connect-timeout "$t" --max-time "$((t + 1))" "$url"
fi
if [ -n "$wget_" ]; then
  bounded wget "$wget_" -O /dev/null "$url"
fi
if [ -n "$bb" ] && "$bb" wget --help >/dev/null 2>&1; then
  bounded "busybox wget" "$bb" wget -O /dev/null "$url"
fi
echo "FERRY_PROBE_NOTOOL"
`;

export const PROBE_TOOLS = ['python3', 'bash', 'nc', 'curl', 'wget', 'busybox'];

export type ProbeResult = 'connected' | 'refused' | 'timeout' | 'no-route' | 'unresolved' | 'no-tool' | 'failed';

export interface ProbeOutcome {
  result: ProbeResult;
  tool?: string;
  /** The tool's own words (last lines), for the report. */
  said: string;
}

const KILLED = 143;

/** Reads the probe's output (see PROBE_SCRIPT) into a result. */
export function readProbeOutput(output: string): ProbeOutcome {
  if (/^FERRY_PROBE_NOTOOL$/m.test(output)) return { result: 'no-tool', said: '' };
  const m = /^FERRY_PROBE_TOOL (.+)$([\s\S]*?)^FERRY_PROBE_RC (\d+)$/m.exec(output);
  if (!m) return { result: 'failed', said: lastLines(output) };
  const tool = m[1]!.trim();
  const body = m[2]!;
  const rc = Number(m[3]);
  return { result: classify(tool, rc, body), tool, said: lastLines(body) };
}

function classify(tool: string, rc: number, text: string): ProbeResult {
  const reason = reasonFrom(text);
  const killed = rc === KILLED;
  switch (tool) {
    case 'python3':
    case 'bash':
      if (rc === 0 && /\bconnected\b/.test(text)) return 'connected';
      // bash has no connect timeout of its own: the watchdog's kill means the SYN went unanswered.
      return reason ?? (killed || rc === 3 ? 'timeout' : 'failed');
    case 'nc':
    case 'busybox nc':
      if (rc === 0 || /succeeded|\bopen\b|Connected to/i.test(text)) return 'connected';
      // nc's own -w timer ends a connect attempt before the watchdog; a kill means it connected
      // and then waited on the peer (busybox nc has no -z).
      return reason ?? (killed && text.trim() === '' ? 'connected' : 'failed');
    case 'curl': {
      const connect = /time_connect=([\d.]+)/.exec(text);
      if (connect && Number(connect[1]) > 0) return 'connected';
      if (rc === 7) return reason ?? 'refused';
      if (rc === 28) return 'timeout';
      if (rc === 6) return 'unresolved';
      return reason ?? (killed ? 'timeout' : 'failed');
    }
    case 'wget':
    case 'busybox wget':
      if (rc === 0 || /connected\.|server returned error|HTTP\/1\.[01] |HTTP request sent|saving to|saved|bad header|short read|error getting response/i.test(text)) {
        return 'connected';
      }
      // busybox wget prints the same "Connecting to" before and after connecting; a kill with
      // nothing more is read as a timeout (wget is the last resort, after nc and curl).
      return reason ?? (killed ? 'timeout' : 'failed');
    default:
      return 'failed';
  }
}

function reasonFrom(text: string): ProbeResult | undefined {
  if (/connection refused|ECONNREFUSED|errno 111\b/i.test(text)) return 'refused';
  if (/no route to host|network is unreachable|host is unreachable|EHOSTUNREACH|ENETUNREACH/i.test(text)) return 'no-route';
  if (/timed out|timeout/i.test(text)) return 'timeout';
  if (/name or service not known|could not resolve|bad address|temporary failure in name resolution|nodename nor servname|no address associated|unknown host/i.test(text)) {
    return 'unresolved';
  }
  return undefined;
}

function lastLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^\S+\s+\d+% \|/.test(l))
    .slice(-3)
    .join(' / ')
    .slice(0, 400);
}
