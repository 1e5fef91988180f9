/* A subset of Go's text/template for `--format` (inspect, ps, images, network, volume, info,
 * version, stats, events), over JSON data: one implementation for the CLI and the service.
 *
 * Text with actions: {{.A.B}}, {{$}}, {{$v.A}}, {{"str"}}, {{12}}, pipes ({{.X | json}}),
 * {{if P}}...{{else if P}}...{{else}}...{{end}}, {{with P}}...{{else}}...{{end}},
 * {{range P}}...{{else}}...{{end}}, {{range $v := P}}, {{range $k, $v := P}}, comments
 * (slash-star ... star-slash inside the braces) and the trim markers {{- and -}}.
 * Functions: docker's (json, join, split, lower, upper, title, pad, truncate) and Go's (index,
 * len, eq, ne, lt, le, gt, ge, not, and, or, print, printf: %s %d %v %q %x %% with flags, widths
 * and precisions).
 *
 * Values print as Go prints them: strings bare, maps as map[k:v ...] (keys sorted), arrays as
 * [a b], structs as {v1 v2}.  JSON has no struct/map distinction: an object is a map when its field
 * is one of docker's map fields (Labels, Networks, Ports, Options...), else a struct.  Likewise a
 * missing key: docker prints `<no value>` for a key missing from a map, and fails with "can't
 * evaluate field X" for a struct field that does not exist; we do the same by the same rule.
 * Anything else (an unknown function, a syntax error, a field of a string) is an error naming the
 * position and the action, as Go does ("template: :1:5: executing ... at <{{.X}}>: ..."): never
 * silently wrong output. */
#ifndef CAPSA_TEMPLATE_H
#define CAPSA_TEMPLATE_H

#include <jansson.h>
#include <stdio.h>

#include "capsa/capsa.h"
#include "capsa/error.h"

/* Execute tmpl on data: *out is the text (malloc'd, owned by the caller; no newline added).
 * Returns 0, or -1 with *err saying what in the template failed (*out then NULL). */
CAPSA_PUBLIC int capsa_template_render (const char *tmpl, json_t *data, char **out, capsa_err **err);

/* Each element of the array arr through tmpl, one line each on stdout (docker inspect -f); nothing
 * is printed when one of them fails (-1, *err set). */
CAPSA_PUBLIC int capsa_template_print_each (const char *tmpl, json_t *arr, capsa_err **err);

/* A list's --format as docker's CLI runs it (ps, images, network ls...): `\t` and `\n` in fmt are a
 * tab and a newline; each element of arr is one line.  "table FMT" first prints a header line,
 * FMT run over the field names (headers: NULL-terminated pairs field, header as docker prints it:
 * {"ID", "CONTAINER ID", "Names", "NAMES", NULL}; another field's header is its name in capitals),
 * and aligns the tab-separated cells as docker's tabwriter (width 10 at least, 3 spaces between).
 * Everything goes to f at the end: nothing is printed when an element fails (-1, *err set). */
CAPSA_PUBLIC int capsa_template_print_list (FILE *f, const char *fmt, json_t *arr, const char *const *headers,
                                            capsa_err **err);

/* Go's tabwriter as docker's tables use it: cells end with a tab, a column of a block of lines
 * is as wide as its widest cell plus padding (minwidth at least); the last cell of a line is not
 * aligned.  Returns the aligned text (malloc'd). */
CAPSA_PUBLIC char *capsa_tabwriter (const char *text, int minwidth, int padding);

/* "{{...}}" anywhere in s, or a leading "table": a template rather than a keyword such as `json`. */
CAPSA_PUBLIC int capsa_template_is (const char *s);

#endif
