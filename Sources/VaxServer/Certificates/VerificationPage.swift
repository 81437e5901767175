/// The public certificate verification page (`/verify`): paste the QR text, or scan the QR with the
/// phone's camera where the browser has `BarcodeDetector`. It shows the verdict and the holder's name
/// and date of birth only, in Vietnamese and English. Its script is served from `/verify.js`, so the
/// Content-Security-Policy (`default-src 'self'`) needs no exception; nothing comes from elsewhere. The
/// form posts, so a certificate's text never lands in a URL, a log or the browser history.
enum VerificationPage {
    static let html = #"""
        <!doctype html>
        <html lang="vi">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <title>Kiểm tra chứng nhận tiêm chủng · Verify a vaccination certificate</title>
        <style>
          body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 40rem; padding: 1rem; color: #111; }
          h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
          .en { color: #555; }
          textarea { width: 100%; min-height: 7rem; font: 14px monospace; box-sizing: border-box; }
          button { font-size: 1rem; padding: .6rem 1rem; margin: .5rem .5rem 0 0; }
          video { width: 100%; max-height: 18rem; background: #000; display: none; margin-top: .5rem; }
          #result { margin-top: 1rem; padding: 1rem; border-radius: .5rem; display: none; }
          #result.valid { background: #e6f4ea; border: 2px solid #1e8e3e; }
          #result.invalid { background: #fce8e6; border: 2px solid #d93025; }
          #verdict { font-size: 1.2rem; font-weight: 600; }
          dl { margin: .5rem 0 0; } dt { font-weight: 600; } dd { margin: 0 0 .4rem; }
        </style>
        </head>
        <body>
        <h1>Kiểm tra chứng nhận tiêm chủng <span class="en">/ Verify a vaccination certificate</span></h1>
        <p>Dán nội dung mã QR (bắt đầu bằng <code>HC1:</code>) hoặc quét mã bằng camera.
          <span class="en">Paste the QR text (starting with <code>HC1:</code>) or scan the code with the camera.</span></p>
        <noscript><p>Trang này cần JavaScript. / This page needs JavaScript.</p></noscript>
        <form id="form" method="post">
          <label for="text">Nội dung mã QR <span class="en">/ QR text</span></label>
          <textarea id="text" name="text" required spellcheck="false" autocomplete="off"></textarea>
          <button type="submit" id="check">Kiểm tra <span class="en">/ Verify</span></button>
          <button type="button" id="scan" hidden>Quét bằng camera <span class="en">/ Scan with camera</span></button>
        </form>
        <video id="video" playsinline muted></video>
        <div id="result" role="status" aria-live="polite">
          <div id="verdict"></div>
          <div id="reason"></div>
          <dl id="holder" hidden>
            <dt>Họ và tên <span class="en">/ Name</span></dt><dd id="name"></dd>
            <dt>Ngày sinh <span class="en">/ Date of birth</span></dt><dd id="dob"></dd>
          </dl>
        </div>
        <script src="/verify.js" defer></script>
        </body>
        </html>
        """#

    static let script = #"""
        const reasons = {
          format: ["Đây không phải mã chứng nhận hợp lệ.", "This is not a certificate code."],
          decode: ["Không đọc được nội dung chứng nhận.", "The certificate cannot be read."],
          signature: ["Chữ ký không đúng: chứng nhận có thể bị làm giả.", "The signature does not match: the certificate may be forged."],
          unknown_kid: ["Không rõ cơ quan cấp (khóa ký không có trong danh sách tin cậy).", "Unknown issuer (the signing key is not in the trust list)."],
          key_usage: ["Khóa ký không được phép cấp loại chứng nhận này.", "The signing key may not issue this kind of certificate."],
          expired: ["Chứng nhận đã hết hạn.", "The certificate has expired."],
          not_yet_valid: ["Chứng nhận chưa có hiệu lực.", "The certificate is not valid yet."],
          revoked: ["Chứng nhận đã bị thu hồi.", "The certificate has been revoked."],
          schema: ["Nội dung chứng nhận không đúng chuẩn.", "The certificate's content does not follow the standard."]
        };
        const $ = (id) => document.getElementById(id);
        async function verify(text) {
          const box = $("result");
          box.style.display = "block"; box.className = "";
          $("verdict").textContent = "Đang kiểm tra… / Checking…"; $("reason").textContent = ""; $("holder").hidden = true;
          try {
            const response = await fetch("/api/v1/certificates/verify", {
              method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({text: text.trim()})
            });
            const body = await response.json();
            if (!response.ok) throw new Error((body.error && body.error.message) || response.status);
            box.className = body.valid ? "valid" : "invalid";
            $("verdict").textContent = body.valid ? "✓ Hợp lệ / Valid" : "✗ Không hợp lệ / Not valid";
            if (!body.valid && body.failure) {
              const r = reasons[body.failure.check] || [body.failure.detail, body.failure.detail];
              $("reason").textContent = r[0] + " / " + r[1];
            }
            if (body.holderName || body.dateOfBirth) {
              $("name").textContent = body.holderName || "";
              $("dob").textContent = body.dateOfBirth || "";
              $("holder").hidden = false;
            }
          } catch (error) {
            box.className = "invalid";
            $("verdict").textContent = "Không kiểm tra được / Could not verify";
            $("reason").textContent = String(error.message || error);
          }
        }
        $("form").addEventListener("submit", (event) => { event.preventDefault(); verify($("text").value); });
        if ("BarcodeDetector" in window && navigator.mediaDevices) {
          $("scan").hidden = false;
          $("scan").addEventListener("click", async () => {
            const video = $("video");
            const stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}});
            video.srcObject = stream; video.style.display = "block"; await video.play();
            const detector = new BarcodeDetector({formats: ["qr_code"]});
            const tick = async () => {
              const codes = await detector.detect(video).catch(() => []);
              if (codes.length) {
                stream.getTracks().forEach((t) => t.stop()); video.style.display = "none";
                $("text").value = codes[0].rawValue; verify(codes[0].rawValue);
              } else { requestAnimationFrame(tick); }
            };
            tick();
          });
        }
        """#
}
