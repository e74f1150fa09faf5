#!/usr/bin/python3
"""Capacity of a kcensus census: time, cores, memory, machines and per-/24
load from the formulas of docs/SCALING.md. Every input has a flag so you can
put in your own pre-scan size and your own measured figures
(bench/scanner/run.sh, bench/scanner/memory.sh, bench/ops/wire.sh).

  scripts/capacity.py --candidates 60e6 --rate 4000 --machines 8
"""
import argparse
import math


def estimate(a):
    f_s, f_k = a.silent, a.kubernetes
    f_w = 1.0 - f_s - f_k                      # answering, not Kubernetes
    if f_w < 0:
        raise SystemExit("--silent + --kubernetes must be <= 1")
    # Seconds a target stays in flight (Little's law input).
    d_k = (2 + a.probes) * a.rtt               # TCP + TLS 1.3 + probes, 1 RTT each
    d_w = 3 * a.rtt                            # TCP + TLS + /version only
    d = f_k * d_k + f_w * d_w + f_s * a.timeout
    cpu = f_k * a.cpu_default + (f_w + f_s) * a.cpu_version   # us per target
    wire = f_k * a.bytes_default + (f_w + f_s) * a.bytes_version + (1 - f_s) * a.chain
    r = a.rate
    inflight = r * d
    per_machine_rate = r / a.machines
    per_machine_inflight = inflight / a.machines
    out = {
        "time_h": a.candidates / r / 3600,
        "mean_in_flight_s": d,
        "cpu_us_per_target": cpu,
        "cores_total": r * cpu / 1e6,
        "cores_per_machine": per_machine_rate * cpu / 1e6,
        "in_flight_total": inflight,
        "concurrency_per_machine (-c, x2 headroom)": math.ceil(2 * per_machine_inflight),
        "memory_per_machine_MiB": (a.base_mib * 2**20 +
                                   2 * per_machine_inflight * a.mem_conn) / 2**20,
        "rate_per_machine (--rate)": per_machine_rate,
        "traffic_Mbit_s (both directions)": r * wire * 8 / 1e6,
        "dense_/24_new_conns_per_s": a.dense24 * r / a.candidates,
        "dense_/24_seconds_between": a.candidates / (a.dense24 * r),
    }
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--candidates", type=float, default=60e6,
                   help="ip:port candidates from the pre-scan (default 60e6)")
    p.add_argument("--rate", type=float, default=4000,
                   help="total new connections per second (default 4000)")
    p.add_argument("--machines", type=int, default=8, help="shards (default 8)")
    p.add_argument("--kubernetes", type=float, default=0.02,
                   help="fraction that are Kubernetes API servers (default 0.02)")
    p.add_argument("--silent", type=float, default=0.10,
                   help="fraction that time out (default 0.10)")
    p.add_argument("--timeout", type=float, default=10, help="--timeout, s (default 10)")
    p.add_argument("--rtt", type=float, default=0.15, help="round trip, s (default 0.15)")
    p.add_argument("--probes", type=int, default=6, help="probes for Kubernetes targets")
    p.add_argument("--cpu-version", type=float, default=700,
                   help="client CPU us per target, --probes version (measured)")
    p.add_argument("--cpu-default", type=float, default=900,
                   help="client CPU us per target, default probes (measured)")
    p.add_argument("--mem-conn", type=float, default=46700,
                   help="bytes of RSS per target in flight (measured)")
    p.add_argument("--base-mib", type=float, default=64,
                   help="RSS besides connections, MiB (process + storage ring)")
    p.add_argument("--bytes-version", type=float, default=2986,
                   help="wire bytes per target, version probe (measured, fleet certs)")
    p.add_argument("--bytes-default", type=float, default=7675,
                   help="wire bytes per target, default probes (measured, fleet certs)")
    p.add_argument("--chain", type=float, default=3000,
                   help="extra bytes of a real certificate chain over the fleet's leaf")
    p.add_argument("--dense24", type=float, default=768,
                   help="candidates in the densest /24 (256 addresses x 3 ports)")
    for k, v in estimate(p.parse_args()).items():
        print(f"{k:45} {v:12.3f}" if isinstance(v, float) else f"{k:45} {v:12d}")


if __name__ == "__main__":
    main()
