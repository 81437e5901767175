/// The pages' one style sheet, one script, the web-app manifest and the service worker. Small on purpose:
/// a citizen's first load is under 100 KB, the venue check-in page under 50 KB (`WebPagesBrowserTests`).
enum WebAssets {
    static let css = """
        *{box-sizing:border-box}
        html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:16px;color:#1a1a1a;background:#f6f7f9;line-height:1.45}
        body{margin:0}
        header{background:#0b5394;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
        header a,header button{color:#fff}
        header .brand{font-weight:700;text-decoration:none;margin-right:auto}
        header form{margin:0}
        header button{background:none;border:1px solid #fff;border-radius:4px;padding:.25rem .6rem;font:inherit;cursor:pointer}
        main{max-width:60rem;margin:0 auto;padding:1rem}
        h1{font-size:1.5rem;margin:.25rem 0 1rem}
        h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
        section.card{background:#fff;border:1px solid #d0d4da;border-radius:8px;padding:1rem;margin:0 0 1rem}
        label{display:block;font-weight:600;margin:.75rem 0 .25rem}
        fieldset{border:1px solid #d0d4da;border-radius:6px;margin:.75rem 0;padding:.5rem .75rem}
        fieldset label{display:inline;font-weight:400;margin:0 1rem 0 .25rem}
        legend{font-weight:600}
        p>input[type=checkbox]+label,p>input[type=radio]+label{display:inline;font-weight:400;margin:0 0 0 .25rem}
        input[type=text],input[type=tel],input[type=password],input[type=number],select{width:100%;max-width:28rem;font:inherit;padding:.5rem;border:1px solid #6b7280;border-radius:4px;background:#fff;color:#1a1a1a}
        input[aria-invalid=true],select[aria-invalid=true]{border:2px solid #b00020}
        .hint{color:#4b5563;font-size:.9rem;margin:.15rem 0}
        .error{color:#b00020;font-weight:600;margin:.25rem 0}
        .notice{background:#e7f5ec;border:1px solid #1e7b3a;color:#14532d;padding:.5rem .75rem;border-radius:6px}
        .offline{background:#fff4e5;border:1px solid #a15c00;color:#6b3d00;padding:.5rem .75rem;border-radius:6px}
        button.primary,a.button{display:inline-block;margin-top:1rem;background:#0b5394;color:#fff;border:0;border-radius:4px;padding:.6rem 1.1rem;font:inherit;font-weight:600;cursor:pointer;text-decoration:none}
        button.secondary{background:#fff;color:#0b5394;border:1px solid #0b5394;border-radius:4px;padding:.4rem .8rem;font:inherit;cursor:pointer}
        a{color:#0b5394}
        :focus-visible{outline:3px solid #b45309;outline-offset:2px}
        .visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
        table{border-collapse:collapse;width:100%;background:#fff;font-size:.95rem}
        th,td{border-bottom:1px solid #d0d4da;padding:.4rem .5rem;text-align:left;vertical-align:top}
        th{background:#eef1f5}
        .scroll{overflow-x:auto;position:relative}
        .status{border-radius:8px;padding:1rem;margin:.5rem 0;border:2px solid #1a1a1a}
        .status strong{font-size:1.2rem;display:block}
        .status.green{background:#1e7b3a;color:#fff;border-color:#14532d}
        .status.yellow{background:#fcd34d;color:#1a1a1a;border-color:#a16207}
        .status.none{background:#e5e7eb;color:#1a1a1a;border-color:#6b7280}
        code,p{overflow-wrap:anywhere}
        td{overflow-wrap:break-word}
        img.qr{width:100%;max-width:20rem;height:auto;image-rendering:pixelated;background:#fff;border:1px solid #d0d4da}
        .grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr))}
        ul.board{list-style:none;padding:0;margin:0}
        ul.board li{background:#fff;border:1px solid #d0d4da;border-left:6px solid #0b5394;border-radius:6px;padding:.5rem .75rem;margin:.5rem 0}
        ul.board li.done{border-left-color:#1e7b3a}
        .timer{font-variant-numeric:tabular-nums;font-size:1.4rem;font-weight:700}
        nav.tabs a{display:inline-block;margin:0 .5rem .5rem 0}
        nav.tabs a[aria-current=page]{font-weight:700;color:#1a1a1a}
        svg.chart{width:100%;height:auto;background:#fff;border:1px solid #d0d4da}
        video{width:100%;max-width:28rem}
        details.on-row{margin-top:.5rem}
        details.on-row form{border-top:1px solid #d0d4da;padding:.5rem 0}
        tr[data-queued]{background:#fff4e5}
        code.codes{display:block;white-space:pre;background:#fff;border:1px solid #d0d4da;padding:.75rem;font-size:1.1rem}
        @media print{header,.noprint{display:none}}
        """

    static let script = """
        (function () {
          'use strict';
          function pad(n) { return (n < 10 ? '0' : '') + n; }
          // The server's clock, not the tablet's: the page says what time it was rendered.
          var stamp = document.querySelector('[data-now]');
          var skew = stamp ? Number(stamp.getAttribute('data-now')) - Date.now() : 0;
          function now() { return Date.now() + skew; }
          function tick() {
            var timers = document.querySelectorAll('[data-ends]');
            for (var i = 0; i < timers.length; i++) {
              var el = timers[i];
              var left = Math.max(0, Date.parse(el.getAttribute('data-ends')) - now());
              el.textContent = pad(Math.floor(left / 60000)) + ':' + pad(Math.floor(left / 1000) % 60);
              if (left === 0 && el.parentNode) { el.parentNode.className = 'done'; }
            }
          }
          if (document.querySelector('[data-ends]')) { tick(); setInterval(tick, 1000); }

          var scan = document.getElementById('scan');
          if (scan && 'BarcodeDetector' in window && navigator.mediaDevices) {
            scan.hidden = false;
            scan.addEventListener('click', function () {
              var video = document.getElementById('camera');
              var input = document.getElementById('code');
              var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
              navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (stream) {
                video.hidden = false;
                video.srcObject = stream;
                video.play();
                var look = function () {
                  detector.detect(video).then(function (codes) {
                    if (codes.length) {
                      stream.getTracks().forEach(function (t) { t.stop(); });
                      input.value = codes[0].rawValue;
                      if (input.form.requestSubmit) { input.form.requestSubmit(); } else { input.form.submit(); }
                    } else { requestAnimationFrame(look); }
                  }, function () { requestAnimationFrame(look); });
                };
                look();
              }, function () { scan.hidden = true; });
            });
          }

          var banner = document.getElementById('offline');
          function network() { if (banner) { banner.hidden = navigator.onLine; } }
          window.addEventListener('online', network);
          window.addEventListener('offline', network);
          network();

          // The site console offline: a form sent without a network is kept on the tablet, then sent
          // through /app/site/sync (the API's batch endpoint) when the network is back; each record counts once.
          var box = document.getElementById('queued');
          var QUEUE = box ? box.getAttribute('data-queue') : 'vaxtrace-site-queue';
          function load() { try { return JSON.parse(localStorage.getItem(QUEUE) || '[]'); } catch (e) { return []; } }
          function shown(queue) {
            var box = document.getElementById('queued');
            if (box) { box.hidden = queue.length === 0; box.querySelector('span').textContent = queue.length; }
          }
          function save(queue) { localStorage.setItem(QUEUE, JSON.stringify(queue)); shown(queue); }
          function fresh() {
            if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
            return 'xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx'.replace(/x/g, function () {
              return (Math.random() * 16 | 0).toString(16);
            });
          }
          document.addEventListener('submit', function (event) {
            var form = event.target;
            if (!form.hasAttribute('data-offline') || navigator.onLine) { return; }
            event.preventDefault();
            var fields = {};
            new FormData(form).forEach(function (value, name) {
              fields[name] = name in fields ? fields[name] + ',' + value : String(value);
            });
            if (!fields._record) { fields._record = fresh(); }
            var queue = load();
            queue.push({ action: form.getAttribute('action'), fields: fields, at: new Date(now()).toISOString() });
            save(queue);
            // Sent once: the form cannot be sent again with the same record id (a correction is a new record).
            Array.prototype.forEach.call(form.elements, function (element) { element.disabled = true; });
            var row = form.closest('[data-appointment]');
            if (row) { row.setAttribute('data-queued', String(Number(row.getAttribute('data-queued') || 0) + 1)); }
            var code = form.querySelector('#code');
            if (code) { code.value = ''; }
          });
          function sync() {
            var queue = load();
            var token = document.querySelector('input[name=_csrf]');
            if (!queue.length || !navigator.onLine || !token || !document.getElementById('queued')) { return; }
            var sent = queue.slice(0, 500);
            var body = '_csrf=' + encodeURIComponent(token.value) + '&records=' + encodeURIComponent(JSON.stringify(sent));
            fetch('/app/site/sync', {
              method: 'POST', credentials: 'same-origin', body: body,
              headers: { 'Content-Type': 'application/x-www-form-urlencoded' }
            }).then(function (response) {
              if (!response.ok) { throw new Error(String(response.status)); }
              return response.json();
            }).then(function (answer) {
              var refused = (answer.results || []).filter(function (r) { return r.status === 'rejected'; });
              var earlier = JSON.parse(sessionStorage.getItem('vaxtrace-sync-problems') || '[]');
              sessionStorage.setItem('vaxtrace-sync-problems', JSON.stringify(earlier.concat(refused)));
              // Only what was sent leaves the queue: forms queued meanwhile, or past the first 500, stay.
              var ids = sent.map(function (r) { return r.fields._record; });
              var left = load().filter(function (r) { return ids.indexOf(r.fields._record) < 0; });
              if (left.length) { save(left); sync(); } else { localStorage.removeItem(QUEUE); location.reload(); }
            }).catch(function () {});
          }
          var problems = document.getElementById('sync-problems');
          if (problems) {
            var refused = JSON.parse(sessionStorage.getItem('vaxtrace-sync-problems') || '[]');
            sessionStorage.removeItem('vaxtrace-sync-problems');
            refused.forEach(function (r) {
              var item = document.createElement('li');
              item.textContent = (r.error && r.error.message) || r.id;
              problems.querySelector('ul').appendChild(item);
            });
            problems.hidden = refused.length === 0;
            shown(load());
            window.addEventListener('online', sync);
            sync();
          }

          var print = document.getElementById('print');
          if (print) { print.addEventListener('click', function () { window.print(); }); }

          if ('serviceWorker' in navigator && document.documentElement.getAttribute('data-pwa') === '1') {
            navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(function () {});
          }
        })();
        """

    static let manifest = """
        {"name": "Vaxtrace – Sổ sức khỏe điện tử", "short_name": "Vaxtrace", "start_url": "/app/me",
         "scope": "/app/", "display": "standalone", "background_color": "#f6f7f9", "theme_color": "#0b5394",
         "lang": "vi", "icons": [{"src": "/app/icon.svg", "sizes": "any", "type": "image/svg+xml"}]}
        """

    static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#0b5394"/>\
        <path d="M18 33l9 9 19-20" stroke="#fff" stroke-width="7" fill="none" stroke-linecap="round"/></svg>
        """

    /// Keeps the style sheet and script for offline use; pages (personal data) are never cached.
    static let serviceWorker = """
        var CACHE = 'vaxtrace-shell-1';
        self.addEventListener('install', function (event) {
          event.waitUntil(caches.open(CACHE).then(function (cache) {
            return cache.addAll(['/app/app.css', '/app/app.js']);
          }));
        });
        self.addEventListener('fetch', function (event) {
          var url = new URL(event.request.url);
          if (event.request.method !== 'GET' || (url.pathname !== '/app/app.css' && url.pathname !== '/app/app.js')) {
            return;
          }
          event.respondWith(fetch(event.request).then(function (response) {
            var copy = response.clone();
            caches.open(CACHE).then(function (cache) { cache.put(event.request, copy); });
            return response;
          }, function () { return caches.match(event.request); }));
        });
        """
}
