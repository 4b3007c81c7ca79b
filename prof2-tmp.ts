import dnsPacket from 'dns-packet';
const rnd = () => Math.random();
const garbage = Array.from({ length: 3000 }, () => Buffer.from(Array.from({ length: Math.floor(rnd() * 600) }, () => Math.floor(rnd() * 256))));
const times: [number, Buffer, string][] = [];
for (const m of garbage) { const t = performance.now(); let e = ''; try { dnsPacket.decode(m) } catch (x) { e = (x as Error).message } times.push([performance.now() - t, m, e]); }
times.sort((a, b) => b[0] - a[0]);
for (const [t, m, e] of times.slice(0, 5)) console.log(t.toFixed(2), m.length, m.subarray(0, 12).toString('hex'), e);
console.log('median', times[1500]![0]);
