// The Tessera dashboard: polls /dashboard/state twice a second and redraws. No libraries, no CDN.
'use strict';

const STATE_URL = '/dashboard/state';
const POLL_MILLIS = 500;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function num(n, digits = 0) {
  return Number(n).toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function duration(seconds) {
  if (seconds < 0) return '?';
  if (seconds < 60) return num(seconds, 1) + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min ' + Math.round(seconds % 60) + ' s';
  return Math.floor(seconds / 3600) + ' h ' + Math.round((seconds % 3600) / 60) + ' min';
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return num(n, i === 0 ? 0 : 1) + ' ' + units[i];
}

function short(address) {
  const at = address.indexOf('@');
  return at < 0 ? address : address.substring(at + 1);
}

function bar(fraction, failedFraction) {
  const b = el('div', { class: 'bar' });
  b.append(el('span', { style: 'width:' + Math.min(100, 100 * fraction).toFixed(1) + '%' }));
  if (failedFraction > 0) {
    b.append(el('span', { class: 'failed', style: 'left:' + (100 * fraction).toFixed(1) + '%;width:'
      + (100 * failedFraction).toFixed(1) + '%' }));
  }
  return b;
}

function fill(tableId, rows) {
  const body = document.querySelector('#' + tableId + ' tbody');
  body.replaceChildren(...rows);
  const empty = document.getElementById(tableId + '-empty');
  if (empty) empty.hidden = rows.length > 0;
}

function drawJobs(jobs) {
  fill('jobs', jobs.map(j => el('tr', { 'data-job': j.jobId },
    el('td', { class: 'id' }, j.jobId),
    el('td', {}, j.taskType),
    el('td', {}, bar(j.total ? j.done / j.total : 0, j.total ? j.failed / j.total : 0)),
    el('td', { class: 'num' }, el('span', { class: 'done' }, num(j.done)), ' / ', el('span', { class: 'total' }, num(j.total))),
    el('td', { class: 'num rate' }, num(j.tasksPerSecond, 1) + '/s'),
    el('td', { class: 'num eta' }, j.state !== 'running' ? '' : j.etaSeconds < 0 ? '?' : duration(j.etaSeconds)),
    el('td', { class: 'num running' }, num(j.running)),
    el('td', { class: 'num retried' }, num(j.retried)),
    el('td', { class: 'num failed' }, num(j.failed)),
    el('td', { class: 'num taken-back' }, num(j.takenBack)),
    el('td', { class: 'coordinator' }, short(j.coordinator)),
    el('td', { class: 'state' }, j.state))));
}

function drawMembers(members) {
  fill('members', members.map(m => el('tr', { 'data-address': m.address },
    el('td', {}, short(m.address)),
    el('td', {}, m.roles.join(', ')),
    el('td', { class: 'status status-' + m.status }, m.status),
    el('td', { class: 'reachable' + (m.reachable || m.status === 'Removed' ? '' : ' unreachable') },
      m.status === 'Removed' ? '' : m.reachable ? 'yes' : 'unreachable'))));
}

function drawNodes(nodes) {
  const max = Math.max(1, ...nodes.map(n => n.tasksPerSecond));
  fill('nodes', nodes.map(n => el('tr', { 'data-node': n.node },
    el('td', {}, short(n.node)),
    el('td', { class: 'num rate' }, num(n.tasksPerSecond, 1)),
    el('td', {}, bar(n.tasksPerSecond / max, 0)),
    el('td', { class: 'num' }, n.busySlots + ' / ' + n.slots),
    el('td', { class: 'num' }, num(n.tasksRun)))));
}

function drawGpus(gpus) {
  fill('gpus', gpus.map(g => el('tr', { 'data-gpu': g.node + '/' + g.gpu.gpu },
    el('td', {}, short(g.node)),
    el('td', {}, g.gpu.gpu),
    el('td', { class: 'num' }, num(g.gpu.calls)),
    el('td', { class: 'num' }, num(g.gpu.callsPerSecond, 1)),
    el('td', { class: 'num' }, num(g.gpu.meanCallMillis, 2) + ' ms'),
    el('td', { class: 'num' }, bytes(g.gpu.memoryBytes)),
    el('td', { class: 'num' }, num(g.gpu.cpuFallbacks)))));
}

const FAULTS = new Set(['unreachable', 'downed', 'taken-back']);

function drawTimeline(events) {
  const list = document.getElementById('timeline');
  const items = events.slice().reverse().map(e => {
    let recovery = '';
    if (e.recoveryMillis >= 0) {
      recovery = el('span', { class: 'recovery' }, 'recovered in ' + duration(e.recoveryMillis / 1000));
    } else if (FAULTS.has(e.kind) && e.kind !== 'downed') {
      recovery = el('span', { class: 'recovery ongoing' }, 'ongoing');
    }
    return el('li', { 'data-kind': e.kind, 'data-node': e.node, 'data-id': e.id },
      el('span', { class: 'muted' }, new Date(e.atMillis).toLocaleTimeString('en-GB')),
      el('span', { class: 'kind kind-' + e.kind }, e.kind),
      el('span', { class: 'text' }, e.text),
      recovery);
  });
  list.replaceChildren(...items);
  document.getElementById('timeline-empty').hidden = items.length > 0;
}

async function poll() {
  const error = document.getElementById('error');
  try {
    const response = await fetch(STATE_URL, { cache: 'no-store' });
    if (!response.ok) throw new Error('HTTP ' + response.status + ': ' + await response.text());
    const state = await response.json();
    document.getElementById('self').textContent = 'as seen from ' + short(state.node);
    document.getElementById('updated').textContent = 'updated ' + new Date(state.atMillis).toLocaleTimeString('en-GB');
    drawJobs(state.jobs);
    drawMembers(state.members);
    drawNodes(state.nodes);
    drawGpus(state.gpus);
    drawTimeline(state.timeline);
    error.hidden = true;
  } catch (e) {
    error.textContent = 'cannot reach the node: ' + e.message;
    error.hidden = false;
  } finally {
    setTimeout(poll, POLL_MILLIS);
  }
}

poll();
