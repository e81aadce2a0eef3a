// django-celery-beat's periodic task form (templates/admin/djcelery/): the crontab field's help
// shows the chosen schedule in words. A static file: the CSP allows no inline script.
(function () {
  "use strict";
  var script = document.currentScript;
  var $ = window.django && window.django.jQuery;
  var data = document.getElementById("readable-crontabs");
  if (!$ || !data) {
    return;
  }
  var readable = JSON.parse(data.textContent);
  var original = (script && script.dataset.crontabHelp) || "";
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var help = $(".field-crontab .help");
    help.text(original);
    help.append($("<br>"), document.createTextNode("Translation: " + (readable[$("#id_crontab").val()] || "")));
  });
})();
