/*
 * payflow staff pages: progressive enhancement only. Every page works without this file (the server validates and
 * answers with the same messages); with it, the resolve form validates as you type, shows only the fields of the
 * chosen action, and the patient list filters as you type. Served as a static file: no inline script (CSP).
 * The rules mirror domain/task-resolution.ts (the server's, which decide).
 */
(function () {
  'use strict';

  var MAX_CENTS = 10000000;

  /** "1,234.5" / "$25" / "25.00" → cents, or null when it is not an amount of dollars and cents. */
  function parseDollars(text) {
    var t = String(text || '').replace(/[$,\s]/g, '');
    if (t === '') return 0;
    var m = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(t);
    if (!m) return null;
    var cents = Number(m[1]) * 100 + Number(((m[2] || '') + '00').slice(0, 2));
    return cents > MAX_CENTS ? null : cents;
  }

  function money(cents) {
    var sign = cents < 0 ? '-' : '';
    var abs = Math.abs(cents);
    var dollars = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    var c = String(abs % 100);
    return sign + '$' + dollars + '.' + (c.length < 2 ? '0' + c : c);
  }

  function setError(input, message) {
    var box = document.getElementById(input.id + '-error');
    if (message) {
      input.setAttribute('aria-invalid', 'true');
      if (box) { box.textContent = message; box.hidden = false; }
    } else {
      input.removeAttribute('aria-invalid');
      if (box) { box.textContent = ''; box.hidden = true; }
    }
  }

  function resolveForm(form) {
    var left = Number(form.getAttribute('data-left-cents')) || 0;
    var radios = form.querySelectorAll('input[name="action"]');
    var claimInputs = form.querySelectorAll('input[data-open-cents]');
    var refund = form.querySelector('#refundAmount');
    var note = form.querySelector('#note');
    var live = form.querySelector('#resolve-live');
    var touched = {};
    var attempted = false;

    function action() {
      for (var i = 0; i < radios.length; i++) if (radios[i].checked) return radios[i].value;
      return radios.length === 1 ? radios[0].value : '';
    }

    function showSections() {
      var a = action();
      var sections = form.querySelectorAll('[data-for-action]');
      for (var i = 0; i < sections.length; i++) sections[i].hidden = sections[i].getAttribute('data-for-action') !== a;
    }

    /** Every problem of the form as it stands: [{ input, message }], plus the live summary's text. */
    function check() {
      var problems = [];
      var summary = '';
      var a = action();
      if (!a) problems.push({ input: radios[0], message: 'Choose what should happen to the money.' });
      if (a === 'apply') {
        var total = 0;
        var any = false;
        for (var i = 0; i < claimInputs.length; i++) {
          var input = claimInputs[i];
          var cents = parseDollars(input.value);
          var open = Number(input.getAttribute('data-open-cents'));
          if (cents === null) { problems.push({ input: input, message: 'Enter dollars and cents, e.g. 25.00.' }); continue; }
          if (cents > 0) { total += cents; any = true; }
          if (cents > open) problems.push({ input: input, message: money(cents) + " is more than the claim's open balance of " + money(open) + '.' });
        }
        if (claimInputs.length === 0) problems.push({ input: radios[0], message: 'This patient has no claim with an open balance: keep the money as credit or refund it.' });
        else if (!any) problems.push({ input: claimInputs[0], message: 'Enter an amount for at least one claim.', summaryOnly: true });
        if (total > left) problems.push({ input: claimInputs[0], message: 'The total exceeds the ' + money(left) + ' left to place.', summaryOnly: true });
        summary = total <= left
          ? 'Applying ' + money(total) + ' of ' + money(left) + ' · ' + money(left - total) + ' stays unapplied (credit)'
          : 'Applying ' + money(total) + ': more than the ' + money(left) + ' left to place';
      } else if (a === 'refund' && refund) {
        var r = parseDollars(refund.value);
        if (r === null || r === 0 || r > left) problems.push({ input: refund, message: 'The refund must be between $0.01 and ' + money(left) + '.' });
        summary = r ? 'Refunding ' + money(r) + ' of ' + money(left) + ' through the EHR' : 'Enter the amount to refund (up to ' + money(left) + ').';
      } else if (a === 'credit') {
        summary = money(left) + ' stays on the patient\u2019s account as credit.';
      } else if (a === 'close') {
        summary = 'No money is left to place: the task closes with your note.';
      }
      if (note && note.value.trim() === '') problems.push({ input: note, message: 'A note is required.' });
      return { problems: problems, summary: summary };
    }

    function render() {
      var result = check();
      var inputs = [note, refund].concat(Array.prototype.slice.call(claimInputs));
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        if (!input) continue;
        var own = null;
        for (var j = 0; j < result.problems.length; j++) {
          if (result.problems[j].input === input && !result.problems[j].summaryOnly) { own = result.problems[j].message; break; }
        }
        setError(input, (attempted || touched[input.id]) ? own : null);
      }
      var summaryProblem = null;
      for (var k = 0; k < result.problems.length; k++) if (result.problems[k].summaryOnly) { summaryProblem = result.problems[k].message; break; }
      if (live) {
        live.textContent = summaryProblem && (attempted || Object.keys(touched).length > 0) ? summaryProblem : result.summary;
        live.className = 'live-summary' + (summaryProblem && (attempted || Object.keys(touched).length > 0) ? ' bad' : '');
      }
      return result;
    }

    form.addEventListener('input', function (e) {
      if (e.target && e.target.id) touched[e.target.id] = true;
      render();
    });
    form.addEventListener('change', function (e) {
      if (e.target && e.target.name === 'action') showSections();
      render();
    });
    form.addEventListener('submit', function (e) {
      attempted = true;
      var result = render();
      if (result.problems.length > 0) {
        e.preventDefault();
        var first = result.problems[0].input;
        if (first && first.focus) first.focus();
        return;
      }
      var button = form.querySelector('button[type="submit"]');
      if (form.getAttribute('data-submitted') === 'true') { e.preventDefault(); return; }
      form.setAttribute('data-submitted', 'true');
      if (button) button.textContent = 'Resolving…';
    });
    showSections();
    render();
  }

  function patientFilter(input) {
    var rows = document.querySelectorAll('#patients tbody tr');
    var count = document.getElementById('patient-count');
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var match = q === '' || (rows[i].getAttribute('data-search') || '').indexOf(q) !== -1;
        rows[i].hidden = !match;
        if (match) shown++;
      }
      if (count) count.textContent = shown + ' of ' + rows.length + ' patients';
    });
  }

  function start() {
    var form = document.getElementById('resolve-form');
    if (form) resolveForm(form);
    var filter = document.getElementById('patient-filter');
    if (filter) { filter.hidden = false; filter.parentNode.hidden = false; patientFilter(filter); }
    var focusMe = document.querySelector('[data-focus-on-load]');
    if (focusMe && focusMe.focus) focusMe.focus();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
