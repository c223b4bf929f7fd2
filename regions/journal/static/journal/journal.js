// The journal grid: keyboard entry, one JSON request per mark, attendance entry or final.
// Arrow keys move between cells; type a value (and, after a space, a comment) and press Enter.
// «н», «б», «оп» (+ a reason after a space; in English «a», «i», «l») mark absence, illness,
// lateness. Click a mark to change or delete it. No build step, no dependencies. Words come from
// Django's JavaScript catalog (/jsi18n/, loaded before this file); without it, Russian.
(function () {
  "use strict";
  var gettext = window.gettext || function (s) { return s; };
  var pgettext = window.pgettext || function (c, s) { return s; };
  var interpolate = window.interpolate || function (fmt, obj) {
    return fmt.replace(/%\((\w+)\)s/g, function (m, k) { return String(obj[k]); });
  };
  var table = document.getElementById("journal");
  if (!table) return;
  var status = document.getElementById("journal-status");
  var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var formSelect = document.getElementById("control-form");
  var dialog = document.getElementById("mark-dialog");
  var ATTENDANCE = { "н": "absent", "нб": "absent", "б": "ill", "бол": "ill", "оп": "late", "о": "late" };
  // the marks as the page's language writes them (the same words as the server's cells), typed too
  var SHORT = {
    absent: pgettext("attendance mark, short", "н"),
    ill: pgettext("attendance mark, short", "б"),
    late: pgettext("attendance mark, short", "оп")
  };
  Object.keys(SHORT).forEach(function (kind) {
    var typed = SHORT[kind].toLowerCase();
    if (!ATTENDANCE[typed]) ATTENDANCE[typed] = kind;
  });
  var ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  var decimalSeparator = window.get_format ? window.get_format("DECIMAL_SEPARATOR") : ",";
  var WEIGHTS = (table.getAttribute("data-weights") || "").split("|").filter(Boolean).map(Number);
  var body = table.tBodies.length ? table.tBodies[0] : null;
  var headers = table.tHead ? table.tHead.rows[0].cells : [];
  function say(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var fields = data.fields ? Object.keys(data.fields).map(function (k) { return data.fields[k].join(" "); }).join("; ") : "";
          throw new Error((data.detail && data.detail !== gettext("Некорректные данные") ? data.detail : fields || data.detail) || interpolate(gettext("Ошибка %(status)s"), { status: response.status }, true));
        }
        return data;
      });
    });
  }

  // Cells are found by their place in the table (row, cell index), so the server sends no
  // per-cell coordinates, labels or attributes: a quarter's grid is ~1,200 cells.
  function move(input, dr, dc) {
    if (!body) return false;
    var cell = input.closest("td"), row = cell.parentNode;
    var r = row.sectionRowIndex, c = cell.cellIndex;
    for (var i = 1; ; i++) {
      var nextRow = body.rows[r + dr * i];
      if (!nextRow) return false;
      var nextCell = nextRow.cells[c + dc * i];
      if (!nextCell || c + dc * i < 1) return false;
      var next = nextCell.querySelector("input");
      if (next) { next.focus(); next.select(); return true; }
    }
  }

  // the accessible name and the browser's autocomplete, given when a cell is first entered
  table.addEventListener("focusin", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.hasAttribute("aria-label")) return;
    var cell = input.closest("td"), row = cell.parentNode;
    var header = headers[cell.cellIndex];
    input.setAttribute("autocomplete", "off");
    input.setAttribute("aria-label", row.cells[0].textContent.trim() + ", " + (header ? header.textContent.trim().split(/\s+/)[0] : ""));
  });

  function markButton(mark) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "mark w" + mark.weight;
    b.setAttribute("data-mark", mark.id);
    b.setAttribute("data-value", mark.value);
    b.setAttribute("data-weight", mark.weight);
    b.setAttribute("data-five", mark.value_five === null || mark.value_five === undefined ? "" : Math.round(Number(mark.value_five) * 100));
    b.setAttribute("data-form", mark.control_form);
    b.setAttribute("data-comment", mark.comment || "");
    b.title = interpolate(gettext("%(form)s, вес %(weight)s"), { form: mark.control_form_name, weight: mark.weight }, true) + (mark.comment ? ": " + mark.comment : "");
    b.textContent = mark.value;
    if (mark.weight !== 1) {
      var sub = document.createElement("sub");
      sub.textContent = mark.weight;
      b.appendChild(sub);
    }
    return b;
  }

  // --- the row's average, proposed final and hints, kept true as marks change ------------------
  // The server's rule (regions/journal/grading.py), in whole numbers: the row carries
  // Σ(value on 5 × weight) in hundredths and Σ weight of every mark of the period (also marks not
  // in these columns); a mark button carries its value on 5 in hundredths (none: pass/fail).
  function moveTotals(row, button, sign) {
    var five = button.getAttribute("data-five");
    if (five === null || five === "") return;
    var weight = Number(button.getAttribute("data-weight"));
    row.setAttribute("data-sum", Number(row.getAttribute("data-sum")) + sign * Number(five) * weight);
    row.setAttribute("data-weights", Number(row.getAttribute("data-weights")) + sign * weight);
  }

  function hintLines(sum, weights) {
    var lines = [];
    [4, 5].forEach(function (target) {
      var threshold = target === 5 ? 450 : 350;  // in hundredths: a 5 from 4.5, a 4 from 3.5
      if (sum >= threshold * weights) return;
      var options = WEIGHTS.map(function (w) {
        // (S + 500·w·n) / (W + w·n) ≥ t  ⇔  n ≥ (t·W − S) / (w·(500 − t))
        var n = Math.max(1, Math.ceil((threshold * weights - sum) / (w * (500 - threshold))));
        return interpolate(ngettext("%(count)s пятёрка с весом %(weight)s", "%(count)s пятёрок с весом %(weight)s", n), { count: n, weight: w }, true);
      });
      if (options.length) lines.push(interpolate(gettext("До %(target)s: %(options)s"), { target: target, options: options.join(gettext(" или ")) }, true));
    });
    return lines;
  }

  function showAverage(row) {
    var sum = Number(row.getAttribute("data-sum")), weights = Number(row.getAttribute("data-weights"));
    var cell = row.querySelector("td.avg"), proposed = "";
    if (!weights) {
      cell.textContent = "";
      cell.title = "";
    } else {
      var average = Math.floor((2 * sum + weights) / (2 * weights));  // hundredths, half up
      cell.textContent = Math.floor(average / 100) + decimalSeparator + String(average % 100).padStart(2, "0");
      proposed = String(Math.min(5, Math.max(1, Math.floor((2 * sum + 100 * weights) / (200 * weights)))));
      cell.title = hintLines(sum, weights).join("; ");
    }
    var final = row.querySelector("input.final-entry");
    if (final) {
      final.setAttribute("data-proposed", proposed);
      final.placeholder = proposed;
    }
  }

  function attendanceButton(entry) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "att att-" + entry.kind;
    b.setAttribute("data-att", entry.id);
    b.setAttribute("data-kind", entry.kind);
    b.setAttribute("data-reason", entry.reason || "");
    b.title = entry.reason || "";
    b.textContent = SHORT[entry.kind] || entry.kind;
    return b;
  }

  function putAttendance(cell, entry) {
    var old = cell.querySelector("button.att");
    var b = attendanceButton(entry);
    if (old) cell.replaceChild(b, old); else cell.insertBefore(b, cell.firstChild);
  }

  function saveEntry(input) {
    var raw = input.value.trim();
    if (!raw) { move(input, 1, 0); return; }
    var cell = input.closest("td"), row = input.closest("tr");
    var lesson = Number(cell.getAttribute("data-lesson")), student = Number(row.getAttribute("data-student"));
    var space = raw.search(/\s/);
    var head = (space < 0 ? raw : raw.slice(0, space)).toLowerCase();
    var rest = space < 0 ? "" : raw.slice(space + 1).trim();
    var request;
    if (ATTENDANCE[head]) {
      request = api("POST", "/api/v1/journal/attendance/", { lesson: lesson, student: student, kind: ATTENDANCE[head], reason: rest })
        .then(function (entry) { putAttendance(cell, entry); return interpolate(gettext("Отметка «%(mark)s» сохранена"), { mark: SHORT[entry.kind] }, true); });
    } else {
      var body = { lesson: lesson, student: student, value: head, comment: rest };
      if (formSelect) body.control_form = Number(formSelect.value);
      request = api("POST", "/api/v1/journal/marks/", body).then(function (mark) {
        var button = markButton(mark);
        cell.insertBefore(button, input);
        moveTotals(row, button, 1);
        showAverage(row);
        return interpolate(gettext("Оценка %(value)s (вес %(weight)s) сохранена"), { value: mark.value, weight: mark.weight }, true);
      });
    }
    cell.classList.add("saving");
    input.disabled = true;
    request.then(function (message) {
      cell.classList.remove("saving", "failed");
      input.disabled = false;
      input.value = "";
      say(message);
      if (!move(input, 1, 0)) input.focus();
    }, function (error) {
      cell.classList.remove("saving");
      cell.classList.add("failed");
      input.disabled = false;
      input.focus();
      say(error.message, true);
    });
  }

  function saveFinal(input) {
    var value = input.value.trim() || input.getAttribute("data-proposed") || "";
    if (!value) { say(gettext("Нет предложенной оценки: введите итоговую оценку"), true); return; }
    var cell = input.closest("td"), row = input.closest("tr");
    var body = { student: Number(row.getAttribute("data-student")), subject: Number(table.getAttribute("data-subject")), value: value };
    body[table.getAttribute("data-kind") === "group" ? "group" : "school_class"] = Number(table.getAttribute("data-target"));
    if (table.getAttribute("data-period")) body.period = Number(table.getAttribute("data-period"));
    else body.academic_year = Number(table.getAttribute("data-year"));
    cell.classList.add("saving");
    api("POST", "/api/v1/journal/finals/", body).then(function (final) {
      cell.classList.remove("saving", "failed");
      cell.classList.toggle("override", final.is_override);
      input.value = final.value;
      say(final.is_override
        ? interpolate(gettext("Итоговая оценка %(value)s (изменена учителем, предложено %(proposed)s)"), { value: final.value, proposed: final.proposed_value || "—" }, true)
        : interpolate(gettext("Итоговая оценка %(value)s подтверждена"), { value: final.value }, true));
      move(input, 1, 0);
    }, function (error) {
      cell.classList.remove("saving");
      cell.classList.add("failed");
      say(error.message, true);
    });
  }

  // A final already set is replaced by what is typed, as in a spreadsheet (typing after a click
  // made «4» into «44»); once edited, keys edit as usual.
  table.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.classList.contains("final-entry")) input.setAttribute("data-fresh", "1");
  });

  table.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement)) return;
    if (input.getAttribute("data-fresh")) {
      input.removeAttribute("data-fresh");
      if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) input.value = "";
    }
    var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    var atEnd = input.selectionStart === input.value.length;
    switch (event.key) {
      case "ArrowUp": event.preventDefault(); move(input, -1, 0); break;
      case "ArrowDown": event.preventDefault(); move(input, 1, 0); break;
      case "ArrowLeft": if (atStart || !input.value) { event.preventDefault(); move(input, 0, -1); } break;
      case "ArrowRight": if (atEnd || !input.value) { event.preventDefault(); move(input, 0, 1); } break;
      case "Enter":
        event.preventDefault();
        if (input.classList.contains("final-entry")) saveFinal(input); else saveEntry(input);
        break;
      case "Escape": input.value = ""; break;
    }
  });

  // --- change or delete a mark / an attendance entry ---------------------------------------
  var editing = null;
  table.addEventListener("click", function (event) {
    var button = event.target.closest("button.mark, button.att");
    if (!button || !dialog || typeof dialog.showModal !== "function") return;
    if (!button.closest("td").querySelector("input.entry")) return;  // read-only cell
    editing = button;
    var isMark = button.classList.contains("mark");
    var form = dialog.querySelector("form");
    dialog.querySelector(".dialog-error").textContent = "";
    Array.prototype.forEach.call(dialog.querySelectorAll(".mark-only"), function (el) { el.hidden = !isMark; });
    Array.prototype.forEach.call(dialog.querySelectorAll(".att-only"), function (el) { el.hidden = isMark; });
    dialog.querySelector("h2").textContent = isMark ? gettext("Оценка") : gettext("Посещаемость");
    if (isMark) {
      form.elements.value.value = button.getAttribute("data-value");
      if (button.getAttribute("data-form")) form.elements.control_form.value = button.getAttribute("data-form");
      form.elements.comment.value = button.getAttribute("data-comment") || "";
    } else {
      form.elements.kind.value = button.getAttribute("data-kind");
      form.elements.reason.value = button.getAttribute("data-reason") || "";
    }
    dialog.showModal();
  });

  if (dialog) {
    dialog.addEventListener("close", function () {
      var button = editing;
      editing = null;
      if (!button || (dialog.returnValue !== "save" && dialog.returnValue !== "delete")) return;
      var form = dialog.querySelector("form");
      var cell = button.closest("td"), row = button.closest("tr");
      var input = cell.querySelector("input.entry");
      var isMark = button.classList.contains("mark");
      var request;
      if (isMark && dialog.returnValue === "save") {
        request = api("PATCH", "/api/v1/journal/marks/" + button.getAttribute("data-mark") + "/", {
          value: form.elements.value.value.trim(), control_form: Number(form.elements.control_form.value), comment: form.elements.comment.value
        }).then(function (mark) {
          var changed = markButton(mark);
          cell.replaceChild(changed, button);
          moveTotals(row, button, -1);
          moveTotals(row, changed, 1);
          showAverage(row);
          return gettext("Оценка изменена");
        });
      } else if (isMark) {
        if (!window.confirm(interpolate(gettext("Удалить оценку %(value)s? Она останется в истории изменений."), { value: button.getAttribute("data-value") }, true))) return;
        request = api("DELETE", "/api/v1/journal/marks/" + button.getAttribute("data-mark") + "/")
          .then(function () {
            cell.removeChild(button);
            moveTotals(row, button, -1);
            showAverage(row);
            return gettext("Оценка удалена");
          });
      } else if (dialog.returnValue === "save") {
        request = api("POST", "/api/v1/journal/attendance/", {
          lesson: Number(cell.getAttribute("data-lesson")), student: Number(row.getAttribute("data-student")),
          kind: form.elements.kind.value, reason: form.elements.reason.value
        }).then(function (entry) { putAttendance(cell, entry); return gettext("Отметка изменена"); });
      } else {
        request = api("DELETE", "/api/v1/journal/attendance/" + button.getAttribute("data-att") + "/")
          .then(function () { cell.removeChild(button); return gettext("Отметка снята"); });
      }
      request.then(function (message) { say(message); if (input) input.focus(); }, function (error) { say(error.message, true); });
    });
  }
  // On a narrow screen the grid opens at today's lesson (or the last one that takes marks), not
  // at the period's first week: that is where a teacher writes.
  var wrap = table.closest(".grid-wrap");
  if (wrap && wrap.scrollWidth > wrap.clientWidth && body && body.rows.length) {
    var entries = body.rows[0].querySelectorAll("td.cell input.entry");
    var today = table.querySelector("thead th.today");
    var target = today || (entries.length ? headers[entries[entries.length - 1].closest("td").cellIndex] : null);
    if (target) {
      var student = headers[0] ? headers[0].offsetWidth : 0;
      wrap.scrollLeft = Math.max(0, target.offsetLeft - student - (wrap.clientWidth - student) / 2 + target.offsetWidth / 2);
    }
  }

  // the grid answers the keyboard from now on (tests and slow phones wait for this)
  table.setAttribute("data-ready", "1");
})();
