#!/usr/bin/env python3
"""browser_check.py [--expect-fail] PAGE... - report pages in a real
browser (Debian's headless chromium), driven over --remote-debugging-pipe
(the DevTools protocol on fds 3 and 4, no port).

For each page, and every .html page it links to (a crawl, so that a site
is checked from its index): no console error, no exception, no failed
load (Log, Runtime and Network events); every link relative, resolving to
a file; every image loaded with a non-zero natural size; and the chart
area of a screenshot differs from the same area once the images are
removed (a negative control: a text-only page cannot pass).

Refuses to start chromium unless this process is in a private network
namespace with loopback only (run it under tests/netns-run.sh): chromium
probes DNS and UDP on its own. Every wait is for an event, bounded by
EVENT_WAIT seconds in case chromium hangs; the number of pages is bounded.

--expect-fail: the pages are broken on purpose; exit 0 only if every one
of them is reported. Exits 77 (skip) without chromium."""
import base64
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib

EVENT_WAIT = 60  # seconds: a hung chromium, not a slow one
MAX_PAGES = 200
MAX_MESSAGE = 64 << 20  # bytes of one DevTools message (a screenshot)


def fail(msg):
    print('FAIL:', msg, file=sys.stderr)
    sys.exit(1)


def require_private_netns():
    """Only lo in this process's namespace (not the host's /sys)."""
    with open('/proc/self/net/dev') as f:
        names = [line.split(':')[0].strip() for line in f.readlines()[2:]]
    others = [n for n in names if n != 'lo']
    if others:
        fail('not in a private network namespace: %s' % ' '.join(others))


def high_fd(fd):
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


class Browser:
    """One chromium process and its DevTools pipe."""

    def __init__(self, profile):
        exe = shutil.which('chromium') or shutil.which('chromium-browser')
        if exe is None:
            print('skip: no chromium')
            sys.exit(77)
        cmd_r, self.cmd_w = os.pipe()  # we write commands, chromium reads fd 3
        self.res_r, res_w = os.pipe()  # chromium writes fd 4, we read
        # The child's ends above fd 9, so that moving them to 3 and 4 never
        # closes one of them.
        cmd_r, res_w = high_fd(cmd_r), high_fd(res_w)
        args = [exe, '--headless', '--no-sandbox', '--disable-gpu',
                '--remote-debugging-pipe', '--no-first-run',
                '--disable-background-networking', '--disable-sync',
                '--disable-component-update', '--disable-default-apps',
                '--user-data-dir=' + profile, 'about:blank']
        # bash moves the pipe ends to the fds chromium expects.
        script = 'exec "$@" 3<&%d 4>&%d %d<&- %d>&-' % (cmd_r, res_w, cmd_r,
                                                        res_w)
        self.proc = subprocess.Popen(
            ['bash', '-c', script, 'chromium'] + args,
            pass_fds=(cmd_r, res_w), stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(profile, 'chromium.log'), 'wb'))
        os.close(cmd_r)
        os.close(res_w)
        self.buf = b''
        self.next_id = 0
        self.events = []

    def close(self):
        try:
            self.send('Browser.close', wait=False)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=EVENT_WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.cmd_w)
        os.close(self.res_r)

    def _read_message(self):
        deadline = time.monotonic() + EVENT_WAIT
        while b'\0' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.res_r], [], [], left)[0]:
                fail('chromium sent nothing for %d s' % EVENT_WAIT)
            chunk = os.read(self.res_r, 1 << 20)
            if not chunk:
                fail('chromium closed its DevTools pipe')
            self.buf += chunk
            if len(self.buf) > MAX_MESSAGE:
                fail('DevTools message over %d bytes' % MAX_MESSAGE)
        msg, self.buf = self.buf.split(b'\0', 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, wait=True):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b'\0')
        if not wait:
            return None
        while True:
            m = self._read_message()
            if m.get('id') == self.next_id:
                if 'error' in m:
                    fail('%s: %s' % (method, m['error']))
                return m['result']
            self.events.append(m)

    def wait_event(self, method, session):
        for i, m in enumerate(self.events):
            if m.get('method') == method and m.get('sessionId') == session:
                return self.events.pop(i)
        while True:
            m = self._read_message()
            if m.get('method') == method and m.get('sessionId') == session:
                return m
            self.events.append(m)


def png_pixels(data):
    """RGB(A) rows of a PNG (8-bit, colour types 2 and 6)."""
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat = 8, b''
    while pos < len(data):
        n, typ = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b'IHDR':
            w, h, _, ctype = struct.unpack('>IIBB', body[:10])
            bpp = {2: 3, 6: 4}[ctype]
        elif typ == b'IDAT':
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp + 1
    rows, prev = [], bytearray(w * bpp)
    for y in range(h):
        f = raw[y * stride]
        line = bytearray(raw[y * stride + 1:(y + 1) * stride])
        for x in range(len(line)):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else
                                      b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def differing_pixels(a, b):
    wa, ha, bpp, ra = png_pixels(a)
    wb, hb, _, rb = png_pixels(b)
    if (wa, ha) != (wb, hb):
        return wa * ha
    return sum(1 for y in range(ha) for x in range(0, wa * bpp, bpp)
               if ra[y][x:x + 3] != rb[y][x:x + 3])


PROBE = '''JSON.stringify({
  images: Array.from(document.images).map(i => ({
    src: i.getAttribute('src') ? i.getAttribute('src').slice(0, 40) : '',
    complete: i.complete, w: i.naturalWidth, h: i.naturalHeight})),
  links: Array.from(document.querySelectorAll('a')).map(
    a => [a.getAttribute('href'), a.href]),
  chart: (() => { const i = document.images[0]; if (!i) return null;
    const r = i.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY,
            width: r.width, height: r.height}; })()
})'''


def problems_of_events(events, session):
    out = []
    for m in events:
        if m.get('sessionId') != session:
            continue
        p = m.get('params', {})
        meth = m.get('method')
        if meth == 'Runtime.exceptionThrown':
            out.append('exception: %s' % p['exceptionDetails'].get('text'))
        elif meth == 'Runtime.consoleAPICalled' and p.get('type') in (
                'error', 'assert'):
            out.append('console %s' % p.get('type'))
        elif meth == 'Log.entryAdded' and p['entry']['level'] == 'error':
            out.append('console error: %s' % p['entry']['text'][:200])
        elif meth == 'Network.loadingFailed':
            out.append('failed load: %s' % p.get('errorText'))
    return out


def check_page(br, url, root):
    """Problems of one page, and the .html files it links to."""
    problems, pages = [], []
    target = br.send('Target.createTarget', {'url': 'about:blank'})
    session = br.send('Target.attachToTarget',
                      {'targetId': target['targetId'],
                       'flatten': True})['sessionId']
    for domain in ('Page', 'Runtime', 'Log', 'Network'):
        br.send(domain + '.enable', session=session)
    br.send('Emulation.setDeviceMetricsOverride',
            {'width': 1000, 'height': 1400, 'deviceScaleFactor': 1,
             'mobile': False}, session=session)
    br.send('Page.navigate', {'url': url}, session=session)
    br.wait_event('Page.loadEventFired', session)
    info = json.loads(br.send('Runtime.evaluate',
                              {'expression': PROBE, 'returnByValue': True},
                              session=session)['result']['value'])
    for img in info['images']:
        if not img['complete'] or img['w'] == 0 or img['h'] == 0:
            problems.append('image %r has natural size %dx%d' % (
                img['src'], img['w'], img['h']))
    if not info['images']:
        problems.append('no image on the page')
    for href, resolved in info['links']:
        parsed = urllib.parse.urlparse(resolved)
        path = urllib.parse.unquote(parsed.path)
        if ':' in href or href.startswith('/'):
            problems.append('link %r is not relative' % href)
        elif parsed.scheme != 'file' or not os.path.isfile(path):
            problems.append('link %r resolves to nothing' % href)
        elif not os.path.realpath(path).startswith(root):
            problems.append('link %r leaves the site' % href)
        elif path.endswith('.html'):
            pages.append(path)
    if info['chart']:
        problems += negative_control(br, session, info['chart'])
    br.send('Runtime.evaluate', {'expression': '0'}, session=session)
    problems += problems_of_events(br.events, session)
    br.events = [m for m in br.events if m.get('sessionId') != session]
    br.send('Target.closeTarget', {'targetId': target['targetId']})
    return problems, pages


def negative_control(br, session, clip):
    """The chart area with its images, then with them removed: they must
    differ in many pixels (a page without charts cannot pass)."""
    clip = dict(clip, scale=1)

    def shot():
        return base64.b64decode(br.send(
            'Page.captureScreenshot',
            {'format': 'png', 'clip': clip, 'captureBeyondViewport': True},
            session=session)['data'])
    with_images = shot()
    br.send('Runtime.evaluate', {'expression': '''
        document.querySelectorAll('img').forEach(i => {
          i.removeAttribute('src'); i.removeAttribute('alt'); });
        0'''}, session=session)
    without = shot()
    n = differing_pixels(with_images, without)
    if n < 0.05 * clip['width'] * clip['height']:
        return ['chart area: only %d pixels differ from the page without '
                'images' % n]
    return []


def main():
    args = sys.argv[1:]
    expect_fail = bool(args) and args[0] == '--expect-fail'
    if expect_fail:
        args = args[1:]
    if not args:
        fail('usage: browser_check.py [--expect-fail] PAGE...')
    require_private_netns()
    profile = tempfile.mkdtemp(prefix='kc-chromium-')
    br = Browser(profile)
    bad = 0
    try:
        for start in args:
            root = os.path.realpath(os.path.dirname(start))
            queue, seen = [os.path.realpath(start)], set()
            found = 0
            while queue and len(seen) < MAX_PAGES:
                page = queue.pop(0)
                if page in seen:
                    continue
                seen.add(page)
                problems, links = check_page(br, 'file://' + page, root)
                queue += [os.path.realpath(p) for p in links]
                for p in problems:
                    print('%s: %s' % (page, p))
                found += len(problems)
            print('%s: %d pages, %d problems' % (start, len(seen), found))
            if expect_fail and found == 0:
                print('%s: broken on purpose, yet no problem found' % start)
                bad += 1
            elif not expect_fail:
                bad += found
    finally:
        br.close()
        shutil.rmtree(profile, ignore_errors=True)
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
