"""Validate a configuration, then deliver a few records to ENDPOINT through
the webhook module (the installed one unless MODULE is given), each
record's outcome printed as its Future resolves.

    python3 deliver.py [MODULE] ENDPOINT"""
import sys

import output_step


def main(module, endpoint):
    config = {"auth": {"type": "td_webhook_out", "url_prefix": endpoint + "/", "api_key": "example-key"},
              "activation": {"name": "welcome", "url": endpoint + "/welcome/{{profile.id}}",
                             "headers": {"Authorization": "Bearer {{auth.api_key}}"},
                             "body": "{\"email\": \"{{profile.email}}\"}"}}
    errors = output_step.validate(module, config)
    if errors:
        for e in errors:
            print(f"config: {e}", file=sys.stderr)
        return 2
    with output_step.OutputStep(module, config) as step:
        futures = step.submit([{"event_id": f"w{i}", "profile": {"id": f"u{i}", "email": f"u{i}@example.com"}}
                               for i in range(3)])
        for future in futures:
            c = future.result(timeout=30)
            print(f"{c.delivery_id}: {c.outcome} (HTTP {c.http_status}, {c.attempts} attempt(s))")
        return 0 if all(f.result().delivered for f in futures) else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    module, endpoint = (args[0], args[1]) if len(args) == 2 else (None, args[0])
    sys.exit(main(module, endpoint))
