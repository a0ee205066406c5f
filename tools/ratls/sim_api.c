/* Routing for `ratls sim`: dstack's POST /tdx_quote (with the misbehaviours
 * tests ask for), the PCCS routes, a small OpenAI-compatible echo API for
 * demos, and the control routes /__sim/stats and /__sim/rotate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "cli.h"
#include "sim.h"

#define OVERSIZED_BODY ((size_t)64 << 20)
#define ECHO_MODEL "ratls-sim-echo"

static void count(sim_server *s, uint64_t *counter)
{
    pthread_mutex_lock(&s->mu);
    (*counter)++;
    pthread_mutex_unlock(&s->mu);
}

/* jansson value -> reply; a failure to encode is a 500. */
static void reply_value(sim_conn *c, int status, json_t *v, int keep)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (text)
        sim_reply_json(c, status, text, keep);
    else
        sim_reply_json(c, 500, "{\"detail\":\"out of memory\"}", 0);
    free(text);
}

static void detail(sim_conn *c, int status, const char *msg, int keep)
{
    reply_value(c, status, json_pack("{s:s}", "detail", msg), keep);
}

/* ---- POST /tdx_quote ---- */

/* dstack's error answer: HTTP 500 with the detail object. */
static void quote_error(sim_conn *c, const char *msg, int keep)
{
    reply_value(c, 500, json_pack("{s:{s:b, s:s, s:s}}", "detail", "success", 0, "error", msg, "quote_type", "tdx"),
                keep);
}

/* FastAPI's 422 for a body that is not the expected JSON. */
static void unprocessable(sim_conn *c, const char *type, const char *msg, int keep)
{
    reply_value(c, 422, json_pack("{s:[{s:s, s:[s], s:s}]}", "detail", "type", type, "loc", "body", "msg", msg), keep);
}

static json_t *optional_field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_null(v) ? NULL : v;
}

/* The 64 REPORTDATA bytes the client asked for. 0, or 422/500 (answered). */
static int report_data(sim_conn *c, const sim_req *r, uint8_t rd[64], int keep)
{
    json_t *o = json_loadb((const char *)r->body, r->body_len, 0, NULL);
    json_t *hx = json_is_object(o) ? optional_field(o, "report_data_hex") : NULL;
    json_t *tx = json_is_object(o) ? optional_field(o, "report_data") : NULL;
    int st = 0;
    memset(rd, 0, 64);
    if (!json_is_object(o)) {
        unprocessable(c, o ? "model_attributes_type" : "json_invalid",
                      o ? "Input should be a valid dictionary" : "JSON decode error", keep);
        st = 422;
    } else if ((hx && !json_is_string(hx)) || (tx && !json_is_string(tx))) {
        unprocessable(c, "string_type", "Input should be a valid string", keep);
        st = 422;
    } else if (!hx == !tx) {
        quote_error(c, "exactly one of report_data_hex and report_data must be given", keep);
        st = 500;
    } else if (tx) {
        size_t n = json_string_length(tx);
        if (n > 64) {
            quote_error(c, "report_data is longer than 64 bytes", keep);
            st = 500;
        } else {
            memcpy(rd, json_string_value(tx), n);
        }
    } else if (json_string_length(hx) > 0) {
        uint8_t *b = NULL;
        size_t n = 0;
        if (ratls_hex_decode_relaxed(json_string_value(hx), json_string_length(hx), &b, &n) != RATLS_OK || n > 64) {
            quote_error(c, "report_data_hex is not hex of at most 64 bytes", keep);
            st = 500;
        } else {
            memcpy(rd, b, n);
        }
        free(b);
    }
    json_decref(o);
    return st;
}

/* 200 with a 64 MiB body that starts like a dstack answer, streamed. */
static void oversized(sim_server *s, sim_conn *c)
{
    static const char start[] = "{\"success\": true, \"pad\": \"";
    enum { PAD = 64 * 1024 };
    char hdr[64], *pad = malloc(PAD);
    snprintf(hdr, sizeof hdr, "Content-Length: %zu\r\n", OVERSIZED_BODY);
    if (!pad || sim_reply_head(c, 200, "application/json", hdr, 0) || sim_write(c, start, sizeof start - 1)) {
        free(pad);
        return;
    }
    memset(pad, 'A', PAD);
    size_t left = OVERSIZED_BODY - (sizeof start - 1) - 2;
    while (left > 0 && !sim_stopping(s)) {
        size_t k = left < PAD ? left : PAD;
        if (sim_write(c, pad, k))
            break; /* the client gave up: that was the point */
        left -= k;
    }
    if (left == 0)
        sim_write(c, "\"}", 2);
    free(pad);
}

static void tdx_quote(sim_server *s, sim_conn *c, const sim_req *r, int keep)
{
    uint8_t rd[64];
    if (strcmp(r->method, "POST") != 0) {
        detail(c, 405, "Method Not Allowed", keep);
        return;
    }
    if (report_data(c, r, rd, keep))
        return;
    if (s->mode == SIM_SLOW && sim_sleep_ms(s, s->delay_ms)) {
        c->keep = 0; /* stopping */
        return;
    }
    if (s->mode == SIM_OVERSIZED) {
        oversized(s, c);
        return;
    }
    size_t len = 0;
    char *body = sim_td_quote_response(s->td, rd, &len);
    if (!body) {
        quote_error(c, "the simulated TD could not make a quote", keep);
        return;
    }
    sim_reply(c, 200, "application/json", NULL, body, len, keep);
    free(body);
    char hex[65];
    if (s->mode == SIM_ROTATE_CERT && sim_rotate(s, hex) != 0)
        fprintf(stderr, "ratls sim: rotating the TLS certificate failed\n");
}

/* ---- the OpenAI-compatible echo API ---- */

static void openai_error(sim_conn *c, int status, const char *msg, int keep)
{
    reply_value(c, status,
                json_pack("{s:{s:s, s:s, s:n, s:n}}", "error", "message", msg, "type", "invalid_request_error", "param",
                          "code"),
                keep);
}

/* The text parts of an OpenAI content array, concatenated. */
static char *parts_text(json_t *content)
{
    size_t total = 1, at = 0;
    for (size_t j = 0; j < json_array_size(content); j++)
        total += json_string_length(json_object_get(json_array_get(content, j), "text"));
    char *out = calloc(1, total);
    for (size_t j = 0; out && j < json_array_size(content); j++) {
        json_t *t = json_object_get(json_array_get(content, j), "text");
        size_t n = json_string_length(t); /* 0 unless a string */
        memcpy(out + at, json_is_string(t) ? json_string_value(t) : "", n);
        at += n;
    }
    return out;
}

/* The last user message's text: a string, or the text parts of an array. */
static char *last_user_text(json_t *messages)
{
    for (size_t i = json_array_size(messages); i-- > 0;) {
        json_t *m = json_array_get(messages, i);
        json_t *role = json_object_get(m, "role"), *content = json_object_get(m, "content");
        if (!json_is_string(role) || strcmp(json_string_value(role), "user") != 0)
            continue;
        if (json_is_string(content))
            return strdup(json_string_value(content));
        return json_is_array(content) ? parts_text(content) : NULL;
    }
    return NULL;
}

static json_t *chunk_object(const char *id, long long created, const char *model, json_t *delta, const char *finish)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:o, s:n, s:s?}]}", "id", id, "object", "chat.completion.chunk",
                     "created", (json_int_t)created, "model", model, "choices", "index", 0, "delta", delta, "logprobs",
                     "finish_reason", finish);
}

static int send_event(sim_conn *c, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!text)
        return -1;
    size_t n = strlen(text) + 9;
    char *ev = malloc(n);
    int rc = -1;
    if (ev) {
        snprintf(ev, n, "data: %s\n\n", text);
        rc = sim_write_chunk(c, ev, n - 1);
    }
    free(ev);
    free(text);
    return rc;
}

/* SSE: a role chunk, the echo in a few pieces (cut between UTF-8
 * characters), a stop chunk and [DONE], as one HTTP chunk each. */
static void chat_stream(sim_conn *c, const char *id, long long created, const char *model, const char *echo, int keep)
{
    if (sim_reply_head(c, 200, "text/event-stream", "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n", keep))
        return;
    int rc = send_event(
        c, chunk_object(id, created, model, json_pack("{s:s, s:s}", "role", "assistant", "content", ""), NULL));
    size_t len = strlen(echo), step = len / 4 + 1;
    for (size_t at = 0; rc == 0 && at < len;) {
        size_t end = at + step < len ? at + step : len;
        while (end < len && ((unsigned char)echo[end] & 0xC0) == 0x80)
            end++;
        rc = send_event(c, chunk_object(id, created, model, json_pack("{s:s%}", "content", echo + at, end - at), NULL));
        at = end;
    }
    rc = rc || send_event(c, chunk_object(id, created, model, json_object(), "stop"));
    static const char done[] = "data: [DONE]\n\n";
    rc = rc || sim_write_chunk(c, done, sizeof done - 1) || sim_write_chunk(c, "", 0);
    if (rc)
        c->keep = 0;
}

static json_int_t words(const char *s)
{
    json_int_t n = 0;
    for (int in = 0; *s; s++) {
        int sp = *s == ' ' || *s == '\n' || *s == '\t';
        n += !sp && !in;
        in = !sp;
    }
    return n;
}

static void chat_completion(sim_conn *c, const char *id, long long created, const char *model, const char *echo,
                            int keep)
{
    json_int_t k = words(echo);
    reply_value(c, 200,
                json_pack("{s:s, s:s, s:I, s:s, s:[{s:i, s:{s:s, s:s}, s:n, s:s}], s:{s:I, s:I, s:I}}", "id", id,
                          "object", "chat.completion", "created", (json_int_t)created, "model", model, "choices",
                          "index", 0, "message", "role", "assistant", "content", echo, "logprobs", "finish_reason",
                          "stop", "usage", "prompt_tokens", k, "completion_tokens", k, "total_tokens", 2 * k),
                keep);
}

static void chat(sim_conn *c, const sim_req *r, int keep)
{
    if (strcmp(r->method, "POST") != 0) {
        openai_error(c, 405, "use POST", keep);
        return;
    }
    json_t *o = json_loadb((const char *)r->body, r->body_len, 0, NULL);
    json_t *msgs = json_object_get(o, "messages"), *model = json_object_get(o, "model");
    char *echo = json_is_array(msgs) ? last_user_text(msgs) : NULL;
    if (!echo) {
        openai_error(c, 400, "the body must be JSON with \"messages\" holding a user message", keep);
    } else {
        uint8_t rnd[12];
        char id[64], hex[25];
        if (RAND_bytes(rnd, sizeof rnd) != 1)
            memset(rnd, 0, sizeof rnd);
        cli_hex(rnd, sizeof rnd, hex);
        snprintf(id, sizeof id, "chatcmpl-sim-%s", hex);
        const char *m = json_is_string(model) ? json_string_value(model) : ECHO_MODEL;
        if (json_is_true(json_object_get(o, "stream")))
            chat_stream(c, id, (long long)time(NULL), m, echo, keep);
        else
            chat_completion(c, id, (long long)time(NULL), m, echo, keep);
    }
    free(echo);
    json_decref(o);
}

static void app(sim_conn *c, const sim_req *r, int keep)
{
    if (strcmp(r->path, "/v1/models") == 0 && strcmp(r->method, "GET") == 0)
        sim_reply_json(c, 200,
                       "{\"object\":\"list\",\"data\":[{\"id\":\"" ECHO_MODEL
                       "\",\"object\":\"model\",\"created\":0,\"owned_by\":\"ratls\"}]}",
                       keep);
    else if (strcmp(r->path, "/v1/chat/completions") == 0)
        chat(c, r, keep);
    else
        detail(c, 404, "Not Found", keep);
}

/* ---- control routes (not counted) ---- */

static void control(sim_server *s, sim_conn *c, const sim_req *r, int keep)
{
    if (strcmp(r->path, "/__sim/stats") == 0 && strcmp(r->method, "GET") == 0) {
        pthread_mutex_lock(&s->mu);
        json_t *v = json_pack("{s:I, s:I, s:I, s:I, s:s, s:s?}", "app_requests", (json_int_t)s->app_requests,
                              "quote_requests", (json_int_t)s->quote_requests, "collateral_requests",
                              (json_int_t)s->collateral_requests, "connections", (json_int_t)s->connections,
                              "tls_cert_sha256", s->cert_sha256, "misbehave", sim_mode_name(s->mode));
        pthread_mutex_unlock(&s->mu);
        reply_value(c, 200, v, keep);
    } else if (strcmp(r->path, "/__sim/rotate") == 0 && strcmp(r->method, "POST") == 0) {
        char hex[65];
        if (sim_rotate(s, hex) == 0)
            reply_value(c, 200, json_pack("{s:s}", "tls_cert_sha256", hex), keep);
        else
            detail(c, 503, "cannot rotate the TLS certificate (event log full?)", keep);
    } else {
        detail(c, 404, "Not Found", keep);
    }
}

void sim_route(sim_server *s, sim_conn *c, const sim_req *r)
{
    /* answers to HEAD carry a body here: close after them so it cannot be
     * taken for the next response */
    int keep = !r->close && !sim_stopping(s) && strcmp(r->method, "HEAD") != 0;
    if (strncmp(r->path, "/__sim/", 7) == 0) {
        control(s, c, r, keep);
    } else if (sim_pccs_is_route(r->path)) {
        count(s, &s->collateral_requests);
        sim_pccs_serve(s->pccs, c, r, keep);
    } else if (strcmp(r->path, "/tdx_quote") == 0) {
        count(s, &s->quote_requests);
        tdx_quote(s, c, r, keep);
    } else {
        count(s, &s->app_requests);
        app(c, r, keep);
    }
}
