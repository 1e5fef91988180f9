/* The body of `POST /containers/create?name=NAME` (Docker Engine API v1.41: the container's
 * Config at the top level, HostConfig, NetworkingConfig) turned into the engine's options,
 * struct ctr_opts, as the docker CLI's flags are by src/cli/cmd_run.c: lists of the same
 * docker-style strings ("SRC:DST[:ro]", "[IP:]HOST:CTR/udp", "nofile=1024:2048", the --mount
 * syntax...), so that ctr_config.c checks and applies both alike.
 *
 * What every client sends for "not set" (0, "", null, [], {}, "default", LogConfig {"Type": ""},
 * MemorySwappiness -1, RestartPolicy "no"...) is not set.  Unknown fields are ignored, as
 * dockerd's JSON decoding does (newer clients).  A wrong JSON type, a bad value and a field capsa
 * cannot honour are refused (EINVAL: a 400), the message naming the field as dockerd's do; a
 * field whose value is dropped harmlessly is dropped with a line in `warnings` (the create
 * response's Warnings).  The decisions, per field:
 *
 *   Config (top level)
 *     Image, Hostname, User, WorkingDir,   image, hostname, user, workdir, stop_signal, tty,
 *     StopSignal, Tty, OpenStdin, Env        interactive, env ("K=V", as given)
 *     Cmd, Entrypoint                      cmd; entrypoint_argv ([] none, image Cmd kept) or
 *                                          entrypoint "" for [""] (docker's --entrypoint ""),
 *                                          a string as a one-element array (Go's StrSlice)
 *     StopTimeout                          stop_timeout (null: -1, not given)
 *     Labels                               labels "k=v"
 *     Volumes                              volumes "DST" (anonymous), unless DST is also the
 *                                          destination of a bind, a mount or a tmpfs (compose
 *                                          lists its binds there too)
 *     ExposedPorts                         with PublishAllPorts: each port without PortBindings
 *                                          published on a free host port ("80/tcp"); else
 *                                          nothing (inspect metadata)
 *     NetworkDisabled                      network "none"
 *     Domainname                           warned: capsa sets the host name only
 *     Healthcheck                          health_test (Test), health_interval... ("Nns"),
 *                                          health_retries
 *     MacAddress                           refused
 *     StdinOnce                            stdin_once (the attach that ends its input closes the
 *                                          container's stdin: `echo x | docker run -i ... cat`)
 *     AttachStdin/Stdout/Stderr            the service's (attach), not the engine's: ignored
 *     ArgsEscaped, OnBuild, Shell          build or Windows only: ignored
 *   HostConfig
 *     Binds                                volumes (checked: 1 to 3 non-empty fields)
 *     Mounts                               mounts "type=..,source=..,target=..[,readonly]
 *                                          [,bind-propagation=..][,tmpfs-size=..][,tmpfs-mode=..]";
 *                                          refused: type npipe, BindOptions.NonRecursive,
 *                                          VolumeOptions.DriverConfig, a tmpfs Source, a comma in
 *                                          a path; warned: VolumeOptions.Labels
 *     Tmpfs                                tmpfs "PATH[:OPTS]"
 *     PortBindings                         publish "[IP:][HOST:]CTR/PROTO" (IPv6 in brackets;
 *                                          checked by capsa_port_parse; sctp refused)
 *     PublishAllPorts, AutoRemove,         publish_all, rm, privileged, read_only, init
 *     Privileged, ReadonlyRootfs, Init
 *     RestartPolicy                        restart "no|always|unless-stopped|on-failure[:N]"
 *                                          (a count only with on-failure; none with AutoRemove)
 *     NetworkMode                          network ("default", "": the engine's default)
 *     CapAdd, CapDrop, SecurityOpt         cap_add, cap_drop, security_opt (seccomp=PROFILE
 *                                          text, as the docker CLI sends it, is understood)
 *     Sysctls, Ulimits, Devices            sysctls "k=v", ulimits "name=soft:hard", devices
 *                                          "HOST:CTR:PERMS"
 *     Memory, MemorySwap, NanoCpus,        memory, memory_swap, cpus, cpu_shares, cpu_quota,
 *     CpuShares, CpuQuota, CpuPeriod,        cpu_period, cpuset_cpus, pids_limit (<= 0: none),
 *     CpusetCpus, PidsLimit, BlkioWeight,    blkio_weight, shm_size (dockerd's ranges and
 *     ShmSize                                conflicts checked)
 *     UsernsMode                           userns
 *     LogConfig                            Type "", json-file, local: silent; another driver,
 *                                          or Config options: warned (capsa keeps its own log)
 *     PidMode, IpcMode, UTSMode,           pid_mode, ipc_mode, uts_mode, cgroupns_mode,
 *     CgroupnsMode, CgroupParent,            cgroup_parent, cpuset_mems, memory_reservation,
 *     CpusetMems, MemoryReservation,         oom_kill_disable, oom_score_adj (-1000..1000),
 *     OomKillDisable, OomScoreAdj,           volumes_from, group_add, annotations "k=v",
 *     VolumesFrom, GroupAdd, Annotations,    device_{read,write}_{bps,iops} "PATH:RATE" (the
 *     BlkioDevice{Read,Write}{Bps,IOps}      engine checks them: ctr_flags.c)
 *     MemorySwappiness, KernelMemory,      warned (dropped): hints the engine has no field for;
 *     KernelMemoryTCP                        dockerd too drops swappiness and kernel memory with
 *                                            a warning where the kernel lacks them
 *                                            (MemorySwappiness -1: not set)
 *     CpuCount, CpuPercent,                warned: Windows only (dockerd on Linux ignores them)
 *     IOMaximumIOps, IOMaximumBandwidth
 *     ContainerIDFile, ConsoleSize         the client's: ignored
 *     Binds' options                       the engine's -v options, and Docker Desktop's cached,
 *                                          delegated, consistent (accepted and ignored)
 *     refused (no engine support): VolumeDriver (but local), Links, Dns, DnsOptions,
 *       DnsSearch, ExtraHosts, Cgroup, StorageOpt, Runtime (but runc, capsa), Isolation (but
 *       default), MaskedPaths, ReadonlyPaths (any non-null), BlkioWeightDevice,
 *       CpuRealtimePeriod, CpuRealtimeRuntime, DeviceCgroupRules, DeviceRequests
 *   NetworkingConfig.EndpointsConfig       one network at most (dockerd's rule): its name is the
 *                                          network when NetworkMode is the default, and must be
 *                                          NetworkMode's otherwise ("default": the default
 *                                          network, the docker CLI's key without --network);
 *                                          Aliases: aliases (a user
 *                                          network only: the engine refuses them on the default
 *                                          bridge, as dockerd); IPAMConfig addresses, Links,
 *                                          MacAddress, DriverOpts refused; the rest (NetworkID,
 *                                          IPAddress...: inspect's output fields) ignored
 *   ?name=                                 name (a leading `/` dropped; docker's name rule)
 *
 * o->detach is set (an API container is created, then started by POST /containers/ID/start).
 */
#ifndef SVC_CREATE_BODY_H
#define SVC_CREATE_BODY_H

#include <jansson.h>

#include "capsa/engine.h"
#include "capsa/error.h"

/* The strings the options point to: owned here, as long as the options are used. */
struct svc_strings
{
  char **strs; /* NULL-terminated (NULL when none) */
  size_t n;
};

/* Fill o (zeroed here first) from body (borrowed; a JSON object) and name (the query's; NULL or
 * "" for none).  Every string and list o gets is owned by keep and o: free them with
 * svc_create_opts_free, whatever the result.  warnings (may be NULL): an array that gets a string
 * for each field dropped.  Fails with EINVAL, the message naming the field. */
int svc_create_opts (json_t *body, const char *name, struct ctr_opts *o, struct svc_strings *keep, json_t *warnings,
                     capsa_err **err);
/* Free what svc_create_opts gave o and keep (both may be half filled, or zeroed). */
void svc_create_opts_free (struct ctr_opts *o, struct svc_strings *keep);

#endif
