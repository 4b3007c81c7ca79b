#!/usr/bin/env node
// A synthetic Mesos /master/state for the DNS benchmarks, shaped like the reference measurement in
// shared/reference/mesos-dns.md §9: every task running with two host ports and a netinfo IP, half of the
// apps with DiscoveryInfo (named tcp ports), ten instances per app, tasks spread over the agents.
// Deterministic: the same sizes give the same document.
// Usage: node bench/dns-state.js --tasks 10000 --agents 1000 > state.json
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const INSTANCES_PER_APP = 10;

/** Writes the state as JSON text through `write` in pieces (100 000 tasks are ~50 MB). */
export function writeSyntheticState({ tasks, agents }, write) {
  const agentId = (index) => `20261123-000000-16777343-5050-1-S${index}`;
  const agentIp = (index) => `10.${(index >> 8) & 255}.${index & 255}.1`;
  write(
    `{"version":"1.11.0","leader":"master@127.0.0.1:5050","hostname":"127.0.0.1","pid":"master@127.0.0.1:5050",`,
  );
  write('"slaves":[');
  for (let index = 0; index < agents; index++) {
    const ip = agentIp(index);
    write(
      `${index ? ',' : ''}{"id":"${agentId(index)}","hostname":"${ip}","pid":"slave(1)@${ip}:5051",` +
        `"resources":{"cpus":32,"mem":131072,"ports":"[31000-32000]"}}`,
    );
  }
  write('],"frameworks":[{"id":"20261123-000000-16777343-5050-1-0000","name":"marathon",');
  write('"pid":"scheduler-1@127.0.0.1:15101","hostname":"127.0.0.1","tasks":[');
  for (let index = 0; index < tasks; index++) {
    const app = Math.floor(index / INSTANCES_PER_APP);
    const agent = index % agents;
    const name = app % 3 === 0 ? `web-${app}.group-${app % 50}` : `app-${app}`;
    const port = 31000 + ((index * 2) % 1000);
    const container = `9.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
    const timestamp = 1_700_000_000 + index / 1000;
    const discovery =
      app % 2 === 0
        ? `,"discovery":{"visibility":"FRAMEWORK","name":"${name}","ports":{"ports":[` +
          `{"number":${port},"name":"http","protocol":"tcp"},{"number":${port + 1},"name":"admin","protocol":"tcp"}]}}`
        : '';
    write(
      `${index ? ',' : ''}{"id":"${name.replaceAll('.', '_')}.${index.toString(16).padStart(8, '0')}-0000-11ef-8000-000000000000",` +
        `"name":"${name}","framework_id":"20261123-000000-16777343-5050-1-0000","slave_id":"${agentId(agent)}",` +
        `"state":"TASK_RUNNING","resources":{"cpus":0.1,"mem":32,"ports":"[${port}-${port + 1}]"},` +
        `"statuses":[{"state":"TASK_STARTING","timestamp":${timestamp - 1}},` +
        `{"state":"TASK_RUNNING","timestamp":${timestamp},"container_status":{"network_infos":` +
        `[{"ip_addresses":[{"protocol":"IPv4","ip_address":"${container}"}]}]}}]${discovery}}`,
    );
  }
  write(']}],"completed_frameworks":[]}\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const option = (name, fallback) => {
    const at = process.argv.indexOf(`--${name}`);
    return at === -1 ? fallback : Number(process.argv[at + 1]);
  };
  let buffer = '';
  writeSyntheticState({ tasks: option('tasks', 10_000), agents: option('agents', 1_000) }, (text) => {
    buffer += text;
    if (buffer.length > 1 << 20) {
      writeSync(1, buffer);
      buffer = '';
    }
  });
  writeSync(1, buffer);
}
