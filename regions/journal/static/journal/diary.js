// The diary's "done" checkbox: one request to the API; without script the form posts.
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };  // Django's catalog, /jsi18n/
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("done-box")) return;
    var id = box.getAttribute("data-homework");
    fetch("/api/v1/diary/homework/" + id + "/done/", {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      body: JSON.stringify({ done: box.checked })
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      box.closest(".hw").classList.toggle("done", box.checked);
    }).catch(function () {
      box.checked = !box.checked;
      alert(gettext("Не удалось сохранить отметку. Попробуйте ещё раз."));
    });
  });
})();
