#!/usr/bin/env python3
"""An OTLP/HTTP logs receiver for raudit's tests, written against the
official opentelemetry-proto package (not against raudit's encoder): it
decodes each POST body as an ExportLogsServiceRequest and, when its stdin
closes, prints one JSON line per log record received (in arrival order) and
a summary line.

Options: --busy N answers the first N requests 503 with Retry-After: 1
(--retry-after S: with Retry-After: S instead);
--reject N answers the N requests after those 400 (the batch is refused);
--partial N says in every 200 answer that N records were rejected;
--quirks frames every 200 answer as HTTP/1.1 allows but rarely done: an
interim 100 Continue first, 40 extra headers, a chunked body in two
chunks with an extension, and a trailer;
--cert FILE --key FILE serve https with that certificate chain and key;
--port N listens on that port (default: any free one).
It prints "PORT <n>" once listening on 127.0.0.1.
"""
import argparse
import http.server
import json
import sys
import threading

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

records = []
summary = {"requests": 0, "busy": 0, "rejected": 0, "connections": 0, "errors": []}
lock = threading.Lock()


def value(v):
    kind = v.WhichOneof("value")
    if kind == "bytes_value":
        return {"bytes": v.bytes_value.hex()}
    return getattr(v, kind)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with lock:
            summary["connections"] += 1

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with lock:
            summary["requests"] += 1
            n = summary["requests"]
            if self.headers.get("Content-Type") != "application/x-protobuf":
                summary["errors"].append("content type " + str(self.headers.get("Content-Type")))
            if self.path != "/v1/logs":
                summary["errors"].append("path " + self.path)
            if n <= args.busy:
                summary["busy"] += 1
                return self.reply(503, b"busy", [("Retry-After", args.retry_after)])
            if n <= args.busy + args.reject:
                summary["rejected"] += 1
                return self.reply(400, b"no")
            request = ExportLogsServiceRequest()
            request.ParseFromString(body)
            for rl in request.resource_logs:
                resource = {kv.key: value(kv.value) for kv in rl.resource.attributes}
                for sl in rl.scope_logs:
                    for r in sl.log_records:
                        records.append(
                            {
                                "request": n,
                                "resource": resource,
                                "scope": sl.scope.name,
                                "time": r.time_unix_nano,
                                "observed": r.observed_time_unix_nano,
                                "severity": r.severity_number,
                                "body": value(r.body),
                                "attributes": {kv.key: value(kv.value) for kv in r.attributes},
                            }
                        )
        response = ExportLogsServiceResponse()
        if args.partial:
            response.partial_success.rejected_log_records = args.partial
            response.partial_success.error_message = "test"
        out = response.SerializeToString()
        if args.quirks:
            return self.quirky_reply(out)
        self.reply(200, out, [("Content-Type", "application/x-protobuf")])

    def quirky_reply(self, body):
        self.send_response_only(100)
        self.end_headers()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        for i in range(40):
            self.send_header("X-Proxy-%d" % i, "v")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        half = len(body) // 2
        for part in (body[:half], body[half:]):
            if part:
                self.wfile.write(b"%x;part=1\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0;last=yes\r\nX-Checksum: none\r\n\r\n")


parser = argparse.ArgumentParser()
parser.add_argument("--busy", type=int, default=0)
parser.add_argument("--reject", type=int, default=0)
parser.add_argument("--partial", type=int, default=0)
parser.add_argument("--retry-after", default="1")
parser.add_argument("--quirks", action="store_true")
# https: the server's certificate chain and key (PEM).
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--port", type=int, default=0)
args = parser.parse_args()
server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
if args.cert:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
print("PORT", server.server_address[1], flush=True)
sys.stdin.read()
server.shutdown()
with lock:
    for r in records:
        print(json.dumps(r))
    print(json.dumps({"summary": summary}), flush=True)
