#!/usr/bin/env python3
"""Example email sender for Spool: drains the `email-outbox` subscription into a Maildir.

For every EmailGenerated it fetches, it writes an RFC 5322 message into the Maildir (any mail
client can open it), appends EmailSent to the user's email stream, and acks. The EmailSent
event id is derived from the email id, so a sender that crashes after appending and before
acking records the send once when the email is delivered to it again.

    python3 tools/maildir_sender.py --server 127.0.0.1:7070 --maildir ./outbox [--once] [--token T]

Only the standard library: a line protocol client is a socket and json.
"""
import argparse
import email.message
import email.utils
import json
import mailbox
import socket
import sys
import uuid

SENT_NAMESPACE = uuid.UUID("6f0c0e38-6a4e-4c1c-9a53-2f3d0b6e9a11")


class SpoolConnection:
    """One connection; requests are answered in order, one JSON object per line."""

    def __init__(self, address, token=None):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.reader = self.sock.makefile("rb")
        self.next_id = 0
        if token:
            self.call({"op": "auth", "token": token})

    def call(self, request):
        self.next_id += 1
        request = dict(request, id=self.next_id)
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        while True:
            line = self.reader.readline()
            if not line:
                raise ConnectionError("server closed the connection")
            response = json.loads(line)
            if "push" in response:
                continue
            if not response.get("ok"):
                error = response.get("error", {})
                raise RuntimeError(f"{request['op']}: {error.get('code')}: {error.get('message')}")
            return response


def to_message(data, sender):
    message = email.message.EmailMessage()
    message["From"] = sender
    message["To"] = data["to"]
    message["Subject"] = data["subject"]
    message["Message-ID"] = f"<{data['email_id']}@spool>"
    message["Date"] = email.utils.formatdate(localtime=False)
    message["X-Spool-Template"] = data.get("template", "")
    message.set_content(data["text"])
    if data.get("html"):
        message.add_alternative(data["html"], subtype="html")
    return message


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:7070", help="spoold address (host:port)")
    parser.add_argument("--token", help="token, when the server requires one")
    parser.add_argument("--maildir", required=True, help="Maildir to deliver into (created if missing)")
    parser.add_argument("--subscription", default="email-outbox", help="subscription to consume")
    parser.add_argument("--from", dest="sender", default="Spool <no-reply@spool.invalid>", help="From header")
    parser.add_argument("--once", action="store_true", help="stop when the outbox is empty instead of waiting")
    parser.add_argument("--batch", type=int, default=100, help="emails fetched per request")
    args = parser.parse_args()

    box = mailbox.Maildir(args.maildir, create=True)
    spool = SpoolConnection(args.server, args.token)
    delivered = 0
    while True:
        wait = 0 if args.once else 5000
        messages = spool.call({"op": "fetch", "name": args.subscription, "max": args.batch, "wait_ms": wait})["messages"]
        if not messages and args.once:
            break
        for message in messages:
            event = message["event"]
            data = event["data"]
            if event["type"] == "EmailGenerated":
                box.add(to_message(data, args.sender))
                sent_id = str(uuid.uuid5(SENT_NAMESPACE, data["email_id"]))
                spool.call({
                    "op": "append", "stream": f"email-{data['user_id']}",
                    "events": [{"type": "EmailSent", "id": sent_id,
                                "data": {"email_id": data["email_id"], "user_id": data["user_id"],
                                         "provider_id": f"maildir:{args.maildir}"},
                                "metadata": {"causation_id": event["id"]}}],
                })
                delivered += 1
        if messages:
            spool.call({"op": "ack", "name": args.subscription, "seqs": [m["seq"] for m in messages]})
    print(f"delivered {delivered} email(s) into {args.maildir}", file=sys.stderr)


if __name__ == "__main__":
    main()
