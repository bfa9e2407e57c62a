"""webhook_receiver.py — a local webhook endpoint for test_alerts.sh.

Usage: webhook_receiver.py LOG PORTFILE FAIL_FIRST
Answers 500 to the first FAIL_FIRST POSTs, 200 after; appends one JSON line per POST to LOG
({"n", "status", "signature", "body"}); writes its port to PORTFILE once listening."""
import http.server
import json
import sys

log, portfile, fail_first = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen = 0


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        seen += 1
        status = 500 if seen <= fail_first else 200
        with open(log, "a") as f:
            f.write(json.dumps({"n": seen, "status": status,
                                "signature": self.headers.get("X-CPE-Signature", ""),
                                "body": body}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Hook)
with open(portfile, "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
