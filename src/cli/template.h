/* A subset of Go's text/template for `--format` (inspect, ps, images), over JSON data.
 *
 * Text with actions: {{.A.B}}, {{$}}, {{$v.A}}, {{"str"}}, {{json .X}}, {{index .X "key" 0}},
 * {{len .X}}, {{join .X ","}}, {{upper .X}}, {{lower .X}}, {{eq A B}}, {{ne A B}}, {{not A}},
 * pipes ({{.X | json}}), {{if P}}...{{else if P}}...{{else}}...{{end}},
 * {{range P}}...{{else}}...{{end}}, {{range $v := P}}, {{range $k, $v := P}}, comments
 * (slash-star ... star-slash inside the braces) and the trim markers {{- and -}}.
 *
 * Values print as Go prints them: strings bare, maps as map[k:v ...] (keys sorted), arrays as
 * [a b], structs as {v1 v2}.  JSON has no struct/map distinction: an object is a map when its field
 * is one of docker's map fields (Labels, Networks, Ports, Options...), else a struct.  Likewise a
 * missing key: docker prints `<no value>` for a key missing from a map, and fails with "can't
 * evaluate field X" for a struct field that does not exist; we do the same by the same rule.
 * Anything else (an unknown function, a syntax error, a field of a string) is an error naming the
 * action: never silently wrong output. */
#ifndef CAPSA_CLI_TEMPLATE_H
#define CAPSA_CLI_TEMPLATE_H

#include <jansson.h>

#include "capsa/error.h"

/* Execute tmpl on data: *out is the text (malloc'd, owned by the caller; no newline added).
 * Returns 0, or -1 with *err saying what in the template failed (*out then NULL). */
int cli_template_render (const char *tmpl, json_t *data, char **out, capsa_err **err);

/* Each element of the array arr through tmpl, one line each on stdout (docker inspect -f); nothing
 * is printed when one of them fails (-1, *err set). */
int cli_template_print_each (const char *tmpl, json_t *arr, capsa_err **err);

/* "{{...}}" anywhere in s: a template rather than a keyword such as `json` or `table`. */
int cli_template_is (const char *s);

#endif
