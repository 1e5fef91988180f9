/* POST /containers/create's body as the engine's options (src/service/create_body.c): the bodies
 * real clients sent (tests/unit/data/create: the docker CLI, docker-compose, the Python SDK),
 * each field's refusal or warning, and the entrypoint through the engine's spec builder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "capsa/json.h"
#include "capsa/util.h"
#include "create_body.h"
#include "ctr_config.h"

struct parsed
{
  struct ctr_opts o;
  struct svc_strings keep;
  json_t *warnings;
};

static void
parsed_free (struct parsed *p)
{
  svc_create_opts_free (&p->o, &p->keep);
  json_decref (p->warnings);
}

/* Parse a fixture's body, with its query's name: it must succeed. */
static void
parse_fixture (const char *file, struct parsed *p)
{
  char path[512];
  json_error_t je;
  snprintf (path, sizeof path, "%s/%s", CREATE_FIXTURES, file);
  cleanup_json json_t *f = json_load_file (path, 0, &je);
  if (f == NULL)
    fail_msg ("%s: %s", path, je.text);
  const char *q = jstr (f, "query");
  capsa_err *err = NULL;
  p->warnings = json_array ();
  if (svc_create_opts (json_object_get (f, "body"), strncmp (q, "name=", 5) == 0 ? q + 5 : NULL, &p->o, &p->keep,
                       p->warnings, &err)
      < 0)
    fail_msg ("%s: %s", file, err->msg);
}

/* v holds exactly the strings of want (in any order: the body's objects have none). */
static void
assert_strv (char **v, const char *const *want)
{
  size_t n = 0;
  for (; want[n]; n++)
    {
      bool found = false;
      for (char **s = v; s && *s && !found; s++)
        found = strcmp (*s, want[n]) == 0;
      if (!found)
        fail_msg ("`%s` is missing", want[n]);
    }
  assert_int_equal (capsa_strv_len (v), n);
}
#define STRV(v, ...) assert_strv (v, (const char *const[]){ __VA_ARGS__, NULL })

static void
assert_no_warnings (struct parsed *p)
{
  if (json_array_size (p->warnings))
    fail_msg ("warning: %s", json_string_value (json_array_get (p->warnings, 0)));
}

static void
test_cli_minimal (void **state)
{
  struct parsed p;
  parse_fixture ("docker-cli-minimal.json", &p);
  assert_string_equal (p.o.image, "busybox");
  assert_null (p.o.name);
  assert_null (p.o.network); /* "default" */
  assert_true (p.o.detach);
  assert_false (p.o.entrypoint_set);
  assert_null (p.o.cmd);
  assert_int_equal (capsa_strv_len (p.o.env) + capsa_strv_len (p.o.volumes) + capsa_strv_len (p.o.publish), 0);
  assert_int_equal (p.o.stop_timeout, -1);
  assert_null (p.o.restart);
  assert_int_equal (p.o.memory + p.o.memory_swap + p.o.cpu_shares + p.o.pids_limit + p.o.shm_size, 0);
  assert_false (p.o.tty || p.o.interactive || p.o.rm || p.o.privileged || p.o.init || p.o.publish_all);
  assert_no_warnings (&p);
  parsed_free (&p);
}

static void
check_wide_lists (const struct ctr_opts *o)
{
  STRV (o->env, "A=1", "B=two words");
  STRV (o->volumes, "/srv/data:/data:ro", "named:/named", "/anon");
  STRV (o->mounts, "type=bind,target=/mnt/tmp,source=/tmp,readonly", "type=volume,target=/vol2,source=vol2",
        "type=tmpfs,target=/scratch,tmpfs-size=67108864");
  STRV (o->publish, "127.0.0.1:5353:53/udp", "8080:80/tcp", "9000/tcp");
  STRV (o->entrypoint_argv, "/bin/sh");
  STRV (o->cmd, "-c", "echo hi");
  STRV (o->cap_add, "NET_ADMIN");
  STRV (o->cap_drop, "MKNOD");
  STRV (o->security_opt, "no-new-privileges", "seccomp=unconfined");
  STRV (o->ulimits, "nofile=1024:2048", "nproc=512:512");
  STRV (o->sysctls, "net.ipv4.ip_forward=1");
  STRV (o->labels, "com.example.k=v", "empty=");
  STRV (o->tmpfs, "/cache", "/run:size=16m,mode=1777");
  STRV (o->devices, "/dev/null:/dev/xnull:rw", "/dev/zero:/dev/zero:rwm");
}

static void
test_cli_wide (void **state)
{
  struct parsed p;
  parse_fixture ("docker-cli-wide.json", &p);
  const struct ctr_opts *o = &p.o;
  assert_string_equal (o->name, "wide");
  check_wide_lists (o);
  assert_true (o->entrypoint_set);
  assert_string_equal (o->workdir, "/work");
  assert_string_equal (o->user, "1000:1000");
  assert_string_equal (o->hostname, "h1");
  assert_string_equal (o->network, "mynet");
  assert_string_equal (o->stop_signal, "SIGUSR1");
  assert_string_equal (o->restart, "on-failure:3");
  assert_string_equal (o->cpuset_cpus, "0");
  assert_int_equal (o->stop_timeout, 20);
  assert_int_equal (o->memory, 64 << 20);
  assert_int_equal (o->memory_swap, 128 << 20);
  assert_int_equal (o->shm_size, 32 << 20);
  assert_true (o->cpus > 0.499 && o->cpus < 0.501);
  assert_int_equal (o->cpu_shares, 512);
  assert_int_equal (o->pids_limit, 100);
  assert_int_equal (o->blkio_weight, 300);
  assert_true (o->read_only && o->init && o->tty && o->interactive);
  assert_false (o->privileged || o->rm || o->publish_all);
  assert_no_warnings (&p);
  parsed_free (&p);
}

/* --network host -P: the ports dropped with dockerd's warning; --entrypoint "" is [""]. */
static void
test_cli_quota (void **state)
{
  struct parsed p;
  parse_fixture ("docker-cli-quota.json", &p);
  assert_int_equal (p.o.cpu_quota, 50000);
  assert_int_equal (p.o.cpu_period, 100000);
  assert_true (p.o.privileged && p.o.rm);
  assert_string_equal (p.o.network, "host");
  assert_false (p.o.publish_all);
  assert_null (p.o.publish);
  assert_true (p.o.entrypoint_set);
  assert_string_equal (p.o.entrypoint, "");
  assert_null (p.o.entrypoint_argv);
  assert_null (p.o.restart); /* "no" */
  assert_int_equal (json_array_size (p.warnings), 1);
  assert_string_equal (json_string_value (json_array_get (p.warnings, 0)),
                       "Published ports are discarded when using host network mode");
  parsed_free (&p);
}

static void
test_compose (void **state)
{
  struct parsed p;
  parse_fixture ("compose-web.json", &p);
  assert_string_equal (p.o.name, "demo_web_1");
  STRV (p.o.cmd, "httpd", "-f", "-p", "80");
  STRV (p.o.env, "MODE=prod", "EMPTY=");
  /* Volumes lists the binds' destinations too: no anonymous volume */
  STRV (p.o.volumes, "/srv/web:/srv:ro", "demo_data:/data:rw");
  STRV (p.o.publish, "8080:80/tcp", "127.0.0.1:9090:90/udp");
  assert_string_equal (p.o.network, "demo_front");
  assert_string_equal (p.o.restart, "unless-stopped");
  assert_int_equal (capsa_strv_len (p.o.labels), 8);
  assert_false (p.o.entrypoint_set);
  STRV (p.o.aliases, "web", "www");
  assert_int_equal (json_array_size (p.warnings), 0);
  parsed_free (&p);

  parse_fixture ("compose-db.json", &p);
  STRV (p.o.volumes, "demo_data:/var/lib/db:rw");
  STRV (p.o.cmd, "sleep", "1000");
  assert_string_equal (p.o.network, "demo_front");
  assert_null (p.o.publish);
  STRV (p.o.aliases, "db");
  assert_int_equal (json_array_size (p.warnings), 0);
  parsed_free (&p);
}

/* The SDK sends NetworkingConfig {"mynet": null} (no EndpointsConfig) and a tmpfs Source null. */
static void
test_python_sdk (void **state)
{
  struct parsed p;
  parse_fixture ("python-sdk.json", &p);
  assert_string_equal (p.o.name, "sdk");
  STRV (p.o.volumes, "/srv/data:/data:ro", "named:/named:rw");
  STRV (p.o.mounts, "type=bind,target=/mnt/tmp,source=/tmp,readonly", "type=tmpfs,target=/scratch,tmpfs-size=1048576");
  STRV (p.o.publish, "127.0.0.1:5353:53/udp", "8080:80/tcp", "9000/tcp");
  STRV (p.o.devices, "/dev/null:/dev/xnull:rwm");
  STRV (p.o.tmpfs, "/run:size=16m");
  STRV (p.o.entrypoint_argv, "/bin/sh");
  STRV (p.o.cmd, "sh", "-c", "echo hi");
  assert_string_equal (p.o.network, "mynet");
  assert_string_equal (p.o.user, "1000");
  assert_string_equal (p.o.restart, "on-failure:3");
  assert_true (p.o.cpus > 0.499 && p.o.cpus < 0.501);
  assert_int_equal (p.o.stop_timeout, -1);
  assert_no_warnings (&p);
  parsed_free (&p);

  parse_fixture ("python-sdk-minimal.json", &p);
  assert_string_equal (p.o.image, "busybox");
  assert_null (p.o.name);
  assert_null (p.o.network);
  assert_no_warnings (&p);
  parsed_free (&p);
}

/* Parse a body given as JSON text (single quotes for double ones). */
static int
parse_text (const char *text, const char *name, struct parsed *p, capsa_err **err)
{
  char *t = capsa_xstrdup (text);
  for (char *c = t; *c; c++)
    if (*c == '\'')
      *c = '"';
  json_error_t je;
  cleanup_json json_t *body = json_loads (t, JSON_DECODE_ANY, &je);
  if (body == NULL)
    fail_msg ("bad test JSON %s: %s", t, je.text);
  free (t);
  p->warnings = json_array ();
  return svc_create_opts (body, name, &p->o, &p->keep, p->warnings, err);
}

static const struct
{
  const char *body, *msg;
} refused[] = {
  { "[]", "the body: expected a JSON object (the container's config)" },
  { "{}", "Image: required (the image to create the container from)" },
  { "{'Image': 5}", "Image: expected a string, got an integer" },
  { "{'Image': 'b', 'HostConfig': 'x'}", "HostConfig: expected an object, got a string" },
  { "{'Image': 'b', 'HostConfig': {'Memory': '64m'}}", "HostConfig.Memory: expected an integer, got a string" },
  { "{'Image': 'b', 'HostConfig': {'Privileged': 1}}", "HostConfig.Privileged: expected a boolean, got an integer" },
  { "{'Image': 'b', 'Env': ['A=1', 3]}", "Env[1]: expected a string, got an integer" },
  { "{'Image': 'b', 'Entrypoint': {}}", "Entrypoint: expected an array of strings, got an object" },
  { "{'Image': 'b', 'Labels': {'a': 1}}", "Labels[a]: expected a string, got an integer" },
  { "{'Image': 'b', 'StopTimeout': -5}", "StopTimeout: -5 is out of range (-1 to 2147483647)" },
  { "{'Image': 'b', 'HostConfig': {'PortBindings': {'80/sctp': []}}}",
    "HostConfig.PortBindings: `80/sctp`: only tcp and udp ports can be published" },
  { "{'Image': 'b', 'HostConfig': {'PortBindings': {'http': []}}}",
    "HostConfig.PortBindings: invalid port `http` (PORT/tcp or PORT/udp)" },
  { "{'Image': 'b', 'HostConfig': {'PortBindings': {'80/tcp': {}}}}",
    "HostConfig.PortBindings[80/tcp]: expected an array, got an object" },
  { "{'Image': 'b', 'HostConfig': {'PortBindings': {'80/tcp': [{'HostPort': 'x'}]}}}",
    "HostConfig.PortBindings[80/tcp][0]: port `x:80/tcp`: host port `x` is not a port number" },
  { "{'Image': 'b', 'HostConfig': {'PortBindings': {'80/tcp': [{'HostIp': 'nope', 'HostPort': '1'}]}}}",
    "HostConfig.PortBindings[80/tcp][0]: port `nope:1:80/tcp`: `nope` is not an IPv4 address (an IPv6 one goes in "
    "brackets)" },
  { "{'Image': 'b', 'ExposedPorts': {'x/tcp': {}}, 'HostConfig': {'PublishAllPorts': true}}",
    "ExposedPorts: invalid port `x/tcp` (PORT/tcp or PORT/udp)" },
  { "{'Image': 'b', 'HostConfig': {'VolumeDriver': 'convoy'}}",
    "HostConfig.VolumeDriver: volume drivers are not supported" },
  { "{'Image': 'b', 'HostConfig': {'Dns': '1.1.1.1'}}", "HostConfig.Dns: expected an array of strings, got a string" },
  { "{'Image': 'b', 'HostConfig': {'MaskedPaths': []}}",
    "HostConfig.MaskedPaths: a custom set of masked paths is not supported" },
  { "{'Image': 'b', 'HostConfig': {'BlkioWeightDevice': [{'Path': '/dev/null', 'Weight': 10}]}}",
    "HostConfig.BlkioWeightDevice: per-device block I/O weights are not supported" },
  { "{'Image': 'b', 'HostConfig': {'OomScoreAdj': 1001}}",
    "HostConfig.OomScoreAdj: 1001 is out of range (-1000 to 1000)" },
  { "{'Image': 'b', 'HostConfig': {'Runtime': 'runsc'}}",
    "HostConfig.Runtime: capsa runs containers with capsa-oci only" },
  { "{'Image': 'b', 'HostConfig': {'DeviceRequests': [{'Count': -1}]}}",
    "HostConfig.DeviceRequests: device requests (GPUs) are not supported" },
  { "{'Image': 'b', 'HostConfig': {'RestartPolicy': {'Name': 'sometimes'}}}",
    "HostConfig.RestartPolicy.Name: invalid restart policy `sometimes` (no, always, unless-stopped, on-failure)" },
  { "{'Image': 'b', 'HostConfig': {'RestartPolicy': {'Name': 'always', 'MaximumRetryCount': 2}}}",
    "HostConfig.RestartPolicy.MaximumRetryCount: a maximum retry count cannot be used with `always`" },
  { "{'Image': 'b', 'HostConfig': {'AutoRemove': true, 'RestartPolicy': {'Name': 'always'}}}",
    "HostConfig.RestartPolicy: `always` conflicts with HostConfig.AutoRemove: can't create 'AutoRemove' container "
    "with restart policy" },
  { "{'Image': 'b', 'HostConfig': {'NanoCpus': 1000000000, 'CpuPeriod': 100000}}",
    "HostConfig.NanoCpus: conflicting options: Nano CPUs and CPU Period cannot both be set" },
  { "{'Image': 'b', 'HostConfig': {'CpuQuota': 500}}",
    "HostConfig.CpuQuota: CPU cfs quota can not be less than 1ms (i.e. 1000)" },
  { "{'Image': 'b', 'HostConfig': {'MemorySwap': 1000000000}}",
    "HostConfig.MemorySwap: you should always set the Memory limit when using Memoryswap limit" },
  { "{'Image': 'b', 'HostConfig': {'Memory': 1000}}", "HostConfig.Memory: Minimum memory limit allowed is 6MB" },
  { "{'Image': 'b', 'HostConfig': {'NanoCpus': 1000}}",
    "HostConfig.NanoCpus: --cpus 1e-06: range of CPUs is from 0.01 to ..." },
  { "{'Image': 'b', 'HostConfig': {'BlkioWeight': 5}}", "HostConfig.BlkioWeight: 5 is out of range (10 to 1000)" },
  { "{'Image': 'b', 'HostConfig': {'Binds': ['/a::/b']}}",
    "HostConfig.Binds[0]: invalid volume specification: `/a::/b`" },
  { "{'Image': 'b', 'HostConfig': {'Mounts': [{'Type': 'npipe', 'Target': '/x'}]}}",
    "HostConfig.Mounts[0].Type: mount type `npipe` is not supported (bind, volume, tmpfs)" },
  { "{'Image': 'b', 'HostConfig': {'Mounts': [{'Type': 'volume'}]}}", "HostConfig.Mounts[0].Target: required" },
  { "{'Image': 'b', 'HostConfig': {'Mounts': [{'Type': 'bind', 'Source': 'rel', 'Target': '/x'}]}}",
    "HostConfig.Mounts[0].Source: `rel`: a bind mount's source must be an absolute path" },
  { "{'Image': 'b', 'HostConfig': {'Mounts': [{'Type': 'tmpfs', 'Source': 'x', 'Target': '/x'}]}}",
    "HostConfig.Mounts[0].Source: must not be given for a tmpfs mount" },
  { "{'Image': 'b', 'HostConfig': {'Mounts': [{'Type': 'bind', 'Source': '/a', 'Target': '/x', "
    "'BindOptions': {'NonRecursive': true}}]}}",
    "HostConfig.Mounts[0].BindOptions.NonRecursive: non-recursive bind mounts are not supported" },
  { "{'Image': 'b', 'HostConfig': {'Mounts': [{'Type': 'volume', 'Source': 'v', 'Target': '/x', "
    "'VolumeOptions': {'DriverConfig': {'Name': 'nfs'}}}]}}",
    "HostConfig.Mounts[0].VolumeOptions.DriverConfig: volume drivers are not supported" },
  { "{'Image': 'b', 'HostConfig': {'Mounts': [{'Type': 'bind', 'Source': '/a,b', 'Target': '/x'}]}}",
    "HostConfig.Mounts[0]: a path with a comma is not supported" },
  { "{'Image': 'b', 'HostConfig': {'Mounts': [3]}}", "HostConfig.Mounts[0]: expected an object, got an integer" },
  { "{'Image': 'b', 'HostConfig': {'Devices': [{'PathInContainer': '/x'}]}}",
    "HostConfig.Devices[0].PathOnHost: required" },
  { "{'Image': 'b', 'HostConfig': {'Devices': [{'PathOnHost': '/dev/null', 'CgroupPermissions': 'rwx'}]}}",
    "HostConfig.Devices[0].CgroupPermissions: invalid device mode `rwx` (r, w, m)" },
  { "{'Image': 'b', 'HostConfig': {'Ulimits': [{'Soft': 1}]}}", "HostConfig.Ulimits[0].Name: required" },
  { "{'Image': 'b', 'HostConfig': {'Ulimits': {}}}", "HostConfig.Ulimits: expected an array, got an object" },
  { "{'Image': 'b', 'NetworkingConfig': {'EndpointsConfig': {'a': {}, 'b': {}}}}",
    "NetworkingConfig.EndpointsConfig: Container cannot be connected to network endpoints: a, b" },
  { "{'Image': 'b', 'NetworkingConfig': {'EndpointsConfig': {'n': {'IPAMConfig': {'IPv4Address': 5}}}}}",
    "NetworkingConfig.EndpointsConfig.n.IPAMConfig.IPv4Address: expected a string, got an integer" },
  { "{'Image': 'b', 'HostConfig': {'NetworkMode': 'm'}, 'NetworkingConfig': {'EndpointsConfig': {'n': {}}}}",
    "NetworkingConfig.EndpointsConfig.n: not the container's network (HostConfig.NetworkMode `m`): connect it to "
    "another network after it is created" },
  { "{'Image': 'b', 'HostConfig': {'NetworkMode': 'container:x', 'PortBindings': {'80/tcp': [{}]}}}",
    "HostConfig.PortBindings: conflicting options: port publishing and the container type network mode" },
  { "{'Image': 'b', 'Volumes': {'rel': {}}}", "Volumes[rel]: the path must be absolute" },
};

static void
test_refused (void **state)
{
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    {
      struct parsed p;
      capsa_err *err = NULL;
      if (parse_text (refused[i].body, NULL, &p, &err) == 0)
        fail_msg ("accepted: %s", refused[i].body);
      assert_int_equal (err->errnum, EINVAL);
      size_t n = strlen (refused[i].msg);
      bool prefix = n > 3 && strcmp (refused[i].msg + n - 3, "...") == 0; /* (the host's CPUs follow) */
      if (prefix ? strncmp (err->msg, refused[i].msg, n - 3) != 0 : strcmp (err->msg, refused[i].msg) != 0)
        fail_msg ("%s:\n  got  %s\n  want %s", refused[i].body, err->msg, refused[i].msg);
      capsa_err_free (&err);
      parsed_free (&p);
    }
}

static void
test_name (void **state)
{
  struct parsed p;
  capsa_err *err = NULL;
  assert_int_equal (parse_text ("{'Image': 'b'}", "/web", &p, &err), 0);
  assert_string_equal (p.o.name, "web");
  parsed_free (&p);
  assert_int_equal (parse_text ("{'Image': 'b'}", "bad name", &p, &err), -1);
  assert_string_equal (err->msg, "Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  capsa_err_free (&err);
  parsed_free (&p);
}

/* docker's DNS fields, fixed addresses and MAC address: the CLI's --dns... (issue 18, DNS) */
static void
test_dns_fields (void **state)
{
  struct parsed p;
  capsa_err *err = NULL;
  assert_int_equal (parse_text ("{'Image': 'b', 'MacAddress': '02:42:ac:11:00:09', 'HostConfig': {'NetworkMode': 'n',"
                                " 'Dns': ['1.1.1.1'], 'DnsSearch': ['a.example'], 'DnsOptions': ['ndots:2'],"
                                " 'ExtraHosts': ['db:10.0.0.9']}, 'NetworkingConfig': {'EndpointsConfig': {'n':"
                                " {'IPAMConfig': {'IPv4Address': '10.0.0.2', 'IPv6Address': 'fd00::2'}}}}}",
                                NULL, &p, &err),
                    0);
  assert_string_equal (p.o.dns[0], "1.1.1.1");
  assert_string_equal (p.o.dns_search[0], "a.example");
  assert_string_equal (p.o.dns_options[0], "ndots:2");
  assert_string_equal (p.o.extra_hosts[0], "db:10.0.0.9");
  assert_string_equal (p.o.ip, "10.0.0.2");
  assert_string_equal (p.o.ip6, "fd00::2");
  assert_string_equal (p.o.mac_address, "02:42:ac:11:00:09");
  parsed_free (&p);
  (void) state;
}

/* Healthcheck: Test as given, the durations as "Nns" for the engine, Retries. */
static void
test_healthcheck (void **state)
{
  struct parsed p;
  capsa_err *err = NULL;
  assert_int_equal (parse_text ("{'Image': 'b', 'Healthcheck': {'Test': ['CMD', 'true', 'x'], 'Interval': 1000000000,"
                                " 'StartPeriod': 0, 'Retries': 2}}",
                                NULL, &p, &err),
                    0);
  assert_non_null (p.o.health_test);
  assert_string_equal (p.o.health_test[0], "CMD");
  assert_string_equal (p.o.health_test[2], "x");
  assert_null (p.o.health_test[3]);
  assert_string_equal (p.o.health_interval, "1000000000ns");
  assert_string_equal (p.o.health_start_period, "0ns");
  assert_null (p.o.health_timeout);
  assert_int_equal (p.o.health_retries, 2);
  assert_no_warnings (&p);
  parsed_free (&p);
  assert_int_equal (parse_text ("{'Image': 'b', 'Healthcheck': {'Interval': '1s'}}", NULL, &p, &err), -1);
  assert_non_null (strstr (err->msg, "Healthcheck.Interval"));
  capsa_err_free (&err);
  parsed_free (&p);
  (void) state;
}

/* Dropped with a warning each; the values that mean "not set" without one. */
static void
test_warnings (void **state)
{
  struct parsed p;
  capsa_err *err = NULL;
  assert_int_equal (
      parse_text ("{'Image': 'b', 'Domainname': 'example.org', 'Healthcheck': {'Test': ['CMD', 'true']},"
                  "'HostConfig': {'OomScoreAdj': 5, 'MemorySwappiness': 60, 'LogConfig': {'Type': 'syslog'},"
                  "'KernelMemory': 1}}",
                  NULL, &p, &err),
      0);
  const char *want[] = {
    "Domainname: capsa sets the host name only, not a domain name (ignored)",
    "HostConfig.MemorySwappiness: a memory swappiness is not supported (ignored)",
    "HostConfig.KernelMemory: kernel memory limits are deprecated and not supported (ignored)",
    "HostConfig.LogConfig.Type: the log driver `syslog` is not supported: json-file is used (its Config ignored)",
  };
  assert_int_equal (json_array_size (p.warnings), ARRAY_SIZE (want));
  for (size_t i = 0; i < ARRAY_SIZE (want); i++)
    {
      const char *got = json_string_value (json_array_get (p.warnings, i));
      bool found = false;
      for (size_t j = 0; j < ARRAY_SIZE (want) && !found; j++)
        found = strcmp (got, want[j]) == 0;
      if (!found)
        fail_msg ("unexpected warning: %s", got);
    }
  parsed_free (&p);
  assert_int_equal (parse_text ("{'Image': 'b', 'Healthcheck': {'Test': ['NONE']}, 'HostConfig': {'MemorySwappiness':"
                                " -1, 'IpcMode': 'shareable', 'LogConfig': {'Type': 'json-file', 'Config': {}},"
                                "'CgroupnsMode': 'private', 'Isolation': 'default', 'VolumeDriver': 'local'}}",
                                NULL, &p, &err),
                    0);
  assert_no_warnings (&p);
  parsed_free (&p);
  assert_int_equal (parse_text ("{'Image': 'b', 'HostConfig': {'LogConfig': {'Type': 'json-file', "
                                "'Config': {'max-size': '1m'}}}}",
                                NULL, &p, &err),
                    0);
  assert_no_warnings (&p); /* the log options go to the engine, as --log-opt */
  assert_string_equal (p.o.log_driver, "json-file");
  assert_string_equal (p.o.log_opts[0], "max-size=1m");
  parsed_free (&p);
  /* no warnings array: dropped */
  cleanup_json json_t *body = json_pack ("{s:s, s:s}", "Image", "b", "Domainname", "x");
  struct ctr_opts o;
  struct svc_strings keep;
  assert_int_equal (svc_create_opts (body, NULL, &o, &keep, NULL, &err), 0);
  svc_create_opts_free (&o, &keep);
}

/* Cmd and Entrypoint as strings (Go's StrSlice), [] and [""]; the other small rules. */
static void
test_fields (void **state)
{
  struct parsed p;
  capsa_err *err = NULL;
  assert_int_equal (parse_text ("{'Image': 'b', 'Cmd': 'echo', 'Entrypoint': 'sh'}", NULL, &p, &err), 0);
  STRV (p.o.cmd, "echo");
  STRV (p.o.entrypoint_argv, "sh");
  parsed_free (&p);
  assert_int_equal (parse_text ("{'Image': 'b', 'Cmd': [], 'Entrypoint': []}", NULL, &p, &err), 0);
  assert_null (p.o.cmd);
  assert_true (p.o.entrypoint_set);
  assert_non_null (p.o.entrypoint_argv);
  assert_null (p.o.entrypoint_argv[0]);
  parsed_free (&p);
  assert_int_equal (parse_text ("{'Image': 'b', 'NetworkDisabled': true, 'Volumes': {'/t': {}, '/v': {}},"
                                "'HostConfig': {'Tmpfs': {'/t': ''}, 'PidsLimit': -1, 'MemorySwap': -1,"
                                "'PortBindings': {'80/tcp': [{'HostIp': '::', 'HostPort': '8080'}]}}}",
                                NULL, &p, &err),
                    0);
  assert_string_equal (p.o.network, "none");
  STRV (p.o.volumes, "/v"); /* /t is the tmpfs' */
  assert_int_equal (p.o.pids_limit, 0);
  assert_int_equal (p.o.memory_swap, 0);
  assert_null (p.o.publish); /* none: dropped, with a warning */
  assert_int_equal (json_array_size (p.warnings), 1);
  parsed_free (&p);
  assert_int_equal (parse_text ("{'Image': 'b', 'ExposedPorts': {'80/tcp': {}, '53/udp': {}}, 'HostConfig': {"
                                "'PublishAllPorts': true, 'PortBindings': {'80/tcp': [{'HostIp': '::', "
                                "'HostPort': '8080'}]}, 'Mounts': [{'Type': 'tmpfs', 'Target': '/m', "
                                "'TmpfsOptions': {'Mode': 448}}]}}",
                                NULL, &p, &err),
                    0);
  STRV (p.o.publish, "[::]:8080:80/tcp", "53/udp");
  STRV (p.o.mounts, "type=tmpfs,target=/m,tmpfs-mode=700");
  parsed_free (&p);
  /* issue 18's run flags: the CLI's values */
  assert_int_equal (parse_text ("{'Image': 'b', 'HostConfig': {'PidMode': 'host', 'IpcMode': 'container:x',"
                                "'UTSMode': 'host', 'CgroupnsMode': 'host', 'CgroupParent': '/p', 'CpusetMems': '0',"
                                "'MemoryReservation': 1024, 'OomKillDisable': true, 'OomScoreAdj': 5,"
                                "'VolumesFrom': ['a:ro'], 'GroupAdd': ['10'], 'Annotations': {'k': 'v'},"
                                "'BlkioDeviceReadBps': [{'Path': '/dev/vda', 'Rate': 1024}],"
                                "'BlkioDeviceWriteIOps': [{'Path': '/dev/vda', 'Rate': 7}]}}",
                                NULL, &p, &err),
                    0);
  assert_no_warnings (&p);
  assert_string_equal (p.o.pid_mode, "host");
  assert_string_equal (p.o.ipc_mode, "container:x");
  assert_string_equal (p.o.uts_mode, "host");
  assert_string_equal (p.o.cgroupns_mode, "host");
  assert_string_equal (p.o.cgroup_parent, "/p");
  assert_string_equal (p.o.cpuset_mems, "0");
  assert_int_equal (p.o.memory_reservation, 1024);
  assert_true (p.o.oom_kill_disable && p.o.oom_score_adj_set);
  assert_int_equal (p.o.oom_score_adj, 5);
  STRV (p.o.volumes_from, "a:ro");
  STRV (p.o.group_add, "10");
  STRV (p.o.annotations, "k=v");
  STRV (p.o.device_read_bps, "/dev/vda:1024");
  STRV (p.o.device_write_iops, "/dev/vda:7");
  parsed_free (&p);
}

/* Every member of the body, HostConfig and a mount replaced by each JSON type in turn: an answer
 * each time (0, or -1 with a message), never a crash; run under valgrind or ASan for leaks. */
static void
sweep (json_t *body, json_t *obj)
{
  const char *vals[] = { "null", "1", "-1", "\"x\"", "[]", "{}", "true", "[1]", "{\"a\": 1}", "[{}]", "1.5" };
  const char *key;
  json_t *v;
  void *tmp;
  json_object_foreach_safe (obj, tmp, key, v)
  {
    json_t *saved = json_incref (v);
    for (size_t i = 0; i < ARRAY_SIZE (vals); i++)
      {
        struct ctr_opts o;
        struct svc_strings keep;
        capsa_err *err = NULL;
        json_object_set_new (obj, key, json_loads (vals[i], JSON_DECODE_ANY, NULL));
        if (svc_create_opts (body, "n", &o, &keep, NULL, &err) < 0)
          {
            assert_non_null (err);
            assert_true (strlen (err->msg) > 0);
          }
        capsa_err_free (&err);
        svc_create_opts_free (&o, &keep);
      }
    json_object_set_new (obj, key, saved);
  }
}

static void
test_type_sweep (void **state)
{
  const char *files[] = { "docker-cli-wide.json", "python-sdk.json", "compose-web.json" };
  for (size_t f = 0; f < ARRAY_SIZE (files); f++)
    {
      char path[512];
      snprintf (path, sizeof path, "%s/%s", CREATE_FIXTURES, files[f]);
      cleanup_json json_t *fx = json_load_file (path, 0, NULL);
      json_t *body = json_object_get (fx, "body"), *hc = json_object_get (body, "HostConfig");
      sweep (body, body);
      sweep (body, hc);
      sweep (body, json_array_get (json_object_get (hc, "Mounts"), 0));
      sweep (body, json_object_get (json_object_get (body, "NetworkingConfig"), "EndpointsConfig"));
    }
}

/* ---- through the engine's spec builder (ctr_build): the entrypoint's argv, an inline profile */

static char root[] = "/tmp/capsa-test-create-body-XXXXXX";

static int
setup (void **state)
{
  char rootfs[512];
  if (mkdtemp (root) == NULL)
    return -1;
  snprintf (rootfs, sizeof rootfs, "%s/rootfs", root);
  return mkdir (rootfs, 0755);
}

static int
teardown (void **state)
{
  char cmd[600];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", root);
  return system (cmd);
}

/* ctr_build of o over an image with Entrypoint ["/ep"], Cmd ["img"]: *config (owned). */
static void
build_opts (struct ctr_opts *o, json_t **config)
{
  capsa_err *err = NULL;
  struct capsa_engine e = { .root = root, .default_registry = (char *) "docker.io" };
  char rootfs[512];
  json_t *meta;
  snprintf (rootfs, sizeof rootfs, "%s/rootfs", root);
  cleanup_json json_t *img = json_pack ("{s:{s:[s], s:[s]}}", "config", "Entrypoint", "/ep", "Cmd", "img");
  if (ctr_build (&e, o, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", rootfs, "sha256:1", img,
                 config, &meta, &err)
      < 0)
    fail_msg ("ctr_build: %s", err->msg);
  json_decref (meta);
}

/* The process args ctr_build makes of body. */
static json_t *
build_body (const char *body_text, json_t **config)
{
  struct parsed p;
  capsa_err *err = NULL;
  if (parse_text (body_text, NULL, &p, &err) < 0)
    fail_msg ("%s", err->msg);
  build_opts (&p.o, config);
  parsed_free (&p);
  return json_object_get (json_object_get (*config, "process"), "args");
}

static void
assert_args (const char *body, const char *want)
{
  json_t *config;
  json_t *args = build_body (body, &config);
  char got[256] = "";
  size_t i;
  json_t *a;
  json_array_foreach (args, i, a)
  {
    strncat (got, i ? " " : "", sizeof got - strlen (got) - 1);
    strncat (got, json_string_value (a), sizeof got - strlen (got) - 1);
  }
  if (strcmp (got, want) != 0)
    fail_msg ("%s: args `%s`, want `%s`", body, got, want);
  json_decref (config);
}

static void
test_engine_entrypoint (void **state)
{
  const char *net = "'HostConfig': {'NetworkMode': 'none'}";
  char b[256];
  snprintf (b, sizeof b, "{'Image': 'b', %s}", net);
  assert_args (b, "/ep img");
  snprintf (b, sizeof b, "{'Image': 'b', 'Entrypoint': ['/bin/sh', '-c'], 'Cmd': ['echo hi'], %s}", net);
  assert_args (b, "/bin/sh -c echo hi");
  snprintf (b, sizeof b, "{'Image': 'b', 'Entrypoint': ['/bin/sh', '-c'], %s}", net);
  assert_args (b, "/bin/sh -c"); /* an entrypoint of its own: not the image's Cmd */
  snprintf (b, sizeof b, "{'Image': 'b', 'Entrypoint': [], %s}", net);
  assert_args (b, "img"); /* []: none, the image's Cmd (dockerd's merge) */
  snprintf (b, sizeof b, "{'Image': 'b', 'Entrypoint': [''], 'Cmd': ['ls'], %s}", net);
  assert_args (b, "ls"); /* [""]: none, nor the image's Cmd */
  snprintf (b, sizeof b, "{'Image': 'b', 'Cmd': ['x'], %s}", net);
  assert_args (b, "/ep x");
}

/* The docker CLI sends --security-opt seccomp=FILE as the file's content (its fixture). */
static void
test_engine_seccomp_inline (void **state)
{
  struct parsed p;
  json_t *config;
  parse_fixture ("docker-cli-seccomp.json", &p);
  p.o.network = "none";
  build_opts (&p.o, &config);
  json_t *sc = json_object_get (json_object_get (config, "linux"), "seccomp");
  assert_string_equal (jstr (sc, "defaultAction"), "SCMP_ACT_ALLOW");
  assert_int_equal (json_array_size (json_object_get (sc, "syscalls")), 1);
  json_decref (config);
  parsed_free (&p);
}

/* A bind with Docker Desktop's consistency option (compose files written on macOS), and an
 * anonymous volume, through the spec builder. */
static void
test_engine_binds (void **state)
{
  json_t *config;
  char b[512];
  snprintf (b, sizeof b,
            "{'Image': 'b', 'Volumes': {'/anon': {}, '/b': {}}, 'HostConfig': {'NetworkMode': 'none', "
            "'Binds': ['%s/src:/b:ro,cached']}}",
            root);
  build_body (b, &config);
  json_t *mounts = json_object_get (config, "mounts"), *m, *bind = NULL, *anon = NULL;
  size_t i;
  json_array_foreach (mounts, i, m)
  {
    if (strcmp (jstr (m, "destination"), "/b") == 0)
      bind = m;
    if (strcmp (jstr (m, "destination"), "/anon") == 0)
      anon = m;
  }
  assert_non_null (bind);
  assert_non_null (anon);
  assert_true (json_strarray_has (json_object_get (bind, "options"), "ro"));
  assert_non_null (strstr (jstr (bind, "source"), "/src"));
  json_decref (config);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_cli_minimal),
    cmocka_unit_test (test_cli_wide),
    cmocka_unit_test (test_cli_quota),
    cmocka_unit_test (test_compose),
    cmocka_unit_test (test_python_sdk),
    cmocka_unit_test (test_refused),
    cmocka_unit_test (test_name),
    cmocka_unit_test (test_dns_fields),
    cmocka_unit_test (test_warnings),
    cmocka_unit_test (test_healthcheck),
    cmocka_unit_test (test_fields),
    cmocka_unit_test (test_type_sweep),
    cmocka_unit_test (test_engine_entrypoint),
    cmocka_unit_test (test_engine_seccomp_inline),
    cmocka_unit_test (test_engine_binds),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
