import Foundation
import QRCode
import VaxStorage

/// The printable venue poster: the QR as SVG in millimetres (160 mm on A4, above Hanoi's 15 × 15 cm
/// rule; 130 mm on A5, whose 148 mm width cannot hold 15 cm with a margin), the venue's name and
/// address, and instructions in Vietnamese and English.
enum VenuePoster {
    enum Size {
        case a4
        case a5
    }

    static func html(venue: Venue, qr: QRCode, size: Size) -> String {
        let (page, side, title) = size == .a4 ? ("A4", "160mm", "11mm") : ("A5", "130mm", "8mm")
        return """
            <!doctype html>
            <html lang="vi">
            <head>
            <meta charset="utf-8">
            <title>\(escape(venue.name)) · Mã QR địa điểm / Venue QR</title>
            <style>
              @page { size: \(page) portrait; margin: 10mm; }
              body { font: 14pt/1.35 system-ui, sans-serif; text-align: center; margin: 0; color: #111; }
              h1 { font-size: \(title); margin: 0 0 3mm; }
              .address { margin: 0 0 4mm; }
              .qr { width: \(side); height: \(side); margin: 0 auto; }
              .qr svg { width: \(side); height: \(side); display: block; }
              .steps { margin: 4mm auto 0; max-width: 170mm; }
              .en { color: #444; }
            </style>
            </head>
            <body>
            <h1>\(escape(venue.name))</h1>
            <p class="address">\(escape(venue.address))</p>
            <div class="qr" id="qr">\(qr.svg(side: side))</div>
            <div class="steps">
              <p><strong>Quét mã bằng camera điện thoại để khai báo khi vào địa điểm.</strong><br>
              Không có điện thoại thông minh? Hãy báo nhân viên để được khai báo hộ.</p>
              <p class="en"><strong>Scan with your phone's camera to check in.</strong><br>
              No smartphone? Ask a member of staff to check you in.</p>
            </div>
            </body>
            </html>
            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// The page a venue QR opens (`/checkin#TOKEN`): it checks the poster with the server, then checks the
/// visitor in with a name and phone. The token stays in the fragment, so it never reaches a log; the
/// script is served from `/checkin.js` (the CSP allows no inline script).
enum CheckInPage {
    static let html = #"""
        <!doctype html>
        <html lang="vi">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <title>Khai báo vào địa điểm · Venue check-in</title>
        <style>
          body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 32rem; padding: 1rem; color: #111; }
          h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
          .en { color: #555; }
          label { display: block; margin-top: .6rem; font-weight: 600; }
          input[type=text], input[type=tel] { width: 100%; font-size: 1rem; padding: .5rem; box-sizing: border-box; }
          button { font-size: 1.1rem; padding: .7rem 1.2rem; margin-top: 1rem; }
          #venue { padding: .8rem; border-radius: .5rem; background: #eef; margin-bottom: .5rem; }
          #message { margin-top: 1rem; padding: 1rem; border-radius: .5rem; display: none; }
          #message.ok { background: #e6f4ea; border: 2px solid #1e8e3e; display: block; }
          #message.bad { background: #fce8e6; border: 2px solid #d93025; display: block; }
        </style>
        </head>
        <body>
        <h1>Khai báo vào địa điểm <span class="en">/ Venue check-in</span></h1>
        <noscript><p>Trang này cần JavaScript. / This page needs JavaScript.</p></noscript>
        <div id="venue">Đang kiểm tra mã… <span class="en">/ Checking the code…</span></div>
        <form id="form" hidden>
          <label for="name">Họ và tên <span class="en">/ Full name</span></label>
          <input type="text" id="name" name="name" required maxlength="100" autocomplete="name">
          <label for="phone">Số điện thoại <span class="en">/ Mobile number</span></label>
          <input type="tel" id="phone" name="phone" required maxlength="20" autocomplete="tel">
          <label><input type="checkbox" id="symptoms"> Tôi có sốt, ho hoặc khó thở <span class="en">/ I have a fever, cough or shortness of breath</span></label>
          <button type="submit" id="submit">Khai báo <span class="en">/ Check in</span></button>
        </form>
        <div id="message" role="status"></div>
        <script src="/checkin.js"></script>
        </body>
        </html>
        """#

    static let script = #"""
        (function () {
          'use strict';
          var token = decodeURIComponent(location.hash.replace(/^#/, ''));
          var venue = document.getElementById('venue');
          var form = document.getElementById('form');
          var message = document.getElementById('message');
          function show(ok, text) { message.className = ok ? 'ok' : 'bad'; message.textContent = text; }
          function post(path, body) {
            return fetch(path, { method: 'POST', credentials: 'omit',
              headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
              .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); });
          }
          if (!token) {
            venue.textContent = 'Không có mã địa điểm. Hãy quét lại mã QR. / No venue code: scan the QR again.';
            return;
          }
          post('/api/v1/venue-tokens/verify', { text: token }).then(function (r) {
            if (r.status === 200 && r.body.valid) {
              venue.textContent = r.body.venue.name;
              venue.id = 'venue';
              venue.setAttribute('data-valid', 'true');
              form.hidden = false;
            } else {
              venue.textContent = 'Mã QR này không phải của một địa điểm đã đăng ký, hoặc đã bị sửa. / ' +
                'This QR is not a registered venue\'s, or it was altered.';
              venue.setAttribute('data-valid', 'false');
            }
          }).catch(function () { show(false, 'Không kết nối được. / Cannot reach the server.'); });
          form.addEventListener('submit', function (event) {
            event.preventDefault();
            var body = { token: token, name: document.getElementById('name').value,
              phone: document.getElementById('phone').value };
            if (document.getElementById('symptoms').checked) {
              body.declaration = { symptoms: ['fever'], domesticMovement: [] };
            }
            post('/api/v1/checkins', body).then(function (r) {
              if (r.status === 201) {
                show(true, 'Đã khai báo vào ' + r.body.venueName + '. Cảm ơn! / Checked in at ' + r.body.venueName + '. Thank you!');
                form.hidden = true;
              } else {
                show(false, (r.body && r.body.error && r.body.error.message) || 'Có lỗi. / Something went wrong.');
              }
            }).catch(function () { show(false, 'Không kết nối được. / Cannot reach the server.'); });
          });
        })();
        """#
}
