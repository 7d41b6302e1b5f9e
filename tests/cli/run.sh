#!/bin/sh
# tests/cli/run.sh — socpipe run: usage and configuration errors exit 2 with file:line:col and a
# caret; --check accepts the shipped examples; credentials never reach stdout or stderr —
# inline ones are refused and masked, ones from the environment stay hidden with every debug
# switch on, and an OIDC client secret too (whether or not this librdkafka has OIDC).
set -u
. tests/cli/lib/harness.sh
no_secret() { # file, secret, what
    if grep -q -- "$2" "$1"; then bad "$3: the secret appears in $(basename "$1")"; else ok; fi
}
run_briefly() { # VAR=value config: runs the service two seconds, then SIGTERM; sets rc
    env "$1" "$S" run --config "$2" >"$T/out" 2>"$T/err" &
    pid=$!; sleep 2; kill -TERM $pid 2>/dev/null; wait $pid; rc=$?
}

mkdir -p "$T/rules" "$T/watchlists"
cat > "$T/rules/wrong-password.yml" <<'R'
title: Wrong password
id: 0b3f6a52-7c1e-4a0e-9d35-2f64a8c1e001
status: test
level: low
logsource: {product: azure, service: signinlogs}
detection:
  selection:
    ResultType: 50126
  condition: selection
R

"$S" run >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "no --config: exit 2"
"$S" run --config "$T/x.yaml" --frobnicate >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "unknown option: exit 2"
"$S" run --config "$T/missing.yaml" 2>"$T/err" >/dev/null; [ $? -eq 2 ] && ok || bad "missing file: exit 2"
grep -q "missing.yaml: cannot read the configuration" "$T/err" && ok || bad "missing file message"

cat > "$T/typo.yaml" <<'C'
kafka:
  brokers: localhost:9092
  group: g
  topics: [t]
  securty:
    protocol: SASL_SSL
rules: [rules]
C
"$S" run --config "$T/typo.yaml" 2>"$T/err" >/dev/null; [ $? -eq 2 ] && ok || bad "typo: exit 2"
grep -q "typo.yaml:5:3: kafka: unknown key 'securty' (did you mean 'security'?)" "$T/err" && ok || bad "typo: file:line:col message"
grep -q '^    \^$' "$T/err" && ok || bad "typo: caret under the key"

# An inline password: refused, explained, masked.
cat > "$T/inline.yaml" <<'C'
kafka:
  brokers: NAMESPACE.servicebus.windows.net:9093
  group: g
  topics: [t]
  security:
    protocol: SASL_SSL
    mechanism: PLAIN
    username: $ConnectionString
    password: Endpoint=sb://ns/;SharedAccessKeyName=k;SharedAccessKey=InlineS3cretValue=
rules: [rules]
C
"$S" run --config "$T/inline.yaml" >"$T/out" 2>"$T/err"; [ $? -eq 2 ] && ok || bad "inline password: exit 2"
grep -q "inline.yaml:9:5: security.password: inline credentials are not accepted" "$T/err" && ok || bad "inline password: message"
grep -q "password_env: VARIABLE or password_file: PATH" "$T/err" && ok || bad "inline password: says where it goes"
grep -q '    password: \*\*\*\*' "$T/err" && ok || bad "inline password: line shown masked"
no_secret "$T/err" InlineS3cretValue "inline password"
no_secret "$T/out" InlineS3cretValue "inline password"

# The shipped Event Hubs example validates (its rules and watchlists next to it).
cp docs/examples/socpipe.yaml "$T/socpipe.yaml"
EVENTHUBS_CONNECTION_STRING='Endpoint=sb://ns/;SharedAccessKeyName=k;SharedAccessKey=ExampleS3cret=' \
    "$S" run --config "$T/socpipe.yaml" --check >"$T/out" 2>"$T/err"; [ $? -eq 0 ] && ok || bad "example --check: exit 0 ($(cat "$T/err"))"
grep -q "configuration ok: 4 topic(s), group socpipe, 2 worker(s), 1 rule(s), 2 sink(s)" "$T/out" && ok || bad "example --check summary"
no_secret "$T/out" ExampleS3cret "example --check"; no_secret "$T/err" ExampleS3cret "example --check"
# ... and without its variable names the variable, not a value.
env -u EVENTHUBS_CONNECTION_STRING "$S" run --config "$T/socpipe.yaml" --check >/dev/null 2>"$T/err"; [ $? -eq 2 ] && ok || bad "example without env: exit 2"
grep -q "socpipe.yaml:30:19: security.password_env: environment variable 'EVENTHUBS_CONNECTION_STRING' is not set" "$T/err" && ok || bad "example without env: message ($(head -1 "$T/err"))"

# The compose demo's configuration validates too, with the shipped pack it mounts and the
# generated watchlists the compose file writes before it starts socpipe.
"$S" gen --events 0 --out /dev/null --watchlists "$T/docker-watchlists" || bad "gen --watchlists"
sed -e "s|/etc/socpipe/rules|$PWD/detections|" -e "s|/var/lib/socpipe/watchlists|$T/docker-watchlists|" \
    docker/socpipe.yaml > "$T/docker.yaml"
"$S" run --config "$T/docker.yaml" --check >"$T/out" 2>"$T/err"; [ $? -eq 0 ] && ok || bad "docker/socpipe.yaml --check ($(tail -1 "$T/err"))"
grep -q "configuration ok: 1 topic(s), group socpipe, 2 worker(s), [1-9][0-9]* rule(s), 3 sink(s)" "$T/out" && ok || bad "docker/socpipe.yaml --check summary"

# A rule that does not load stops the start.
printf 'title: x\nlogsource: {product: azure}\ndetection:\n  sel: {a|contians: b}\n  condition: sel\n' > "$T/rules/bad.yml"
cat > "$T/badrule.yaml" <<'C'
kafka: {brokers: 127.0.0.1:1, group: g, topics: [t]}
rules: [rules]
C
"$S" run --config "$T/badrule.yaml" --check >/dev/null 2>"$T/err"; [ $? -eq 2 ] && ok || bad "bad rule --check: exit 2"
"$S" run --config "$T/badrule.yaml" >/dev/null 2>"$T/err"; [ $? -eq 2 ] && ok || bad "bad rule run: exit 2"
grep -q "bad.yml:4:" "$T/err" && ok || bad "bad rule: file:line"
rm "$T/rules/bad.yml"

# The password from the environment, every debug switch on, a broker that refuses: the
# service logs (librdkafka's configuration dump included), drains on SIGTERM, exits 0, and
# the password is nowhere.
cat > "$T/sasl.yaml" <<'C'
kafka:
  brokers: 127.0.0.1:1
  group: g
  topics: [t]
  security:
    protocol: SASL_SSL
    mechanism: SCRAM-SHA-512
    username: svc-socpipe
    password_env: SP_TEST_KAFKA_PASSWORD
  librdkafka:
    debug: all
rules: [rules]
log: debug
C
run_briefly SP_TEST_KAFKA_PASSWORD=EnvS3cret-kafka-password "$T/sasl.yaml"
[ $rc -eq 0 ] && ok || bad "sasl run: exit $rc after SIGTERM"
grep -q "sasl.password = \[redacted\]" "$T/err" && ok || bad "sasl run: no debug output (the check would prove nothing)"
no_secret "$T/err" EnvS3cret "sasl run"; no_secret "$T/out" EnvS3cret "sasl run"

# An OIDC client secret: this librdkafka may lack OIDC (then a load error naming the
# property), or may try the (refusing) token endpoint; either way, no secret.
cat > "$T/oidc.yaml" <<'C'
kafka:
  brokers: 127.0.0.1:1
  group: g
  topics: [t]
  security:
    protocol: SASL_SSL
    mechanism: OAUTHBEARER
    oidc:
      token_endpoint: https://127.0.0.1:1/oauth2/v2.0/token
      client_id: 11111111-2222-3333-4444-555555555555
      client_secret_env: SP_TEST_CLIENT_SECRET
      scope: https://ns.servicebus.windows.net/.default
  librdkafka:
    debug: all
rules: [rules]
log: debug
C
run_briefly SP_TEST_CLIENT_SECRET=OidcS3cret-client-value "$T/oidc.yaml"
[ $rc -eq 0 ] || [ $rc -eq 2 ] && ok || bad "oidc run: exit $rc"
[ -s "$T/err" ] && ok || bad "oidc run: no output at all"
no_secret "$T/err" OidcS3cret "oidc run"; no_secret "$T/out" OidcS3cret "oidc run"
# base64("client_id:secret"), the form it travels in to the token endpoint
no_secret "$T/err" "$(printf '%s' '11111111-2222-3333-4444-555555555555:OidcS3cret-client-value' | base64 -w0)" "oidc run (base64)"

echo "cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
