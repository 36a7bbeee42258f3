// The demo AU of E-Workforce Academy: a cmi5 assignable unit in plain JavaScript.
// It reads the launch parameters, fetches its auth token once, reads LMS.LaunchData and the
// learner's preferences, then sends initialized, completed or passed/failed, and terminated
// to the LMS's LRS, and returns to the LMS's returnURL.
"use strict";

(function () {
  const CMI5 = "https://w3id.org/xapi/cmi5/";
  const VERBS = {
    initialized: "http://adlnet.gov/expapi/verbs/initialized",
    completed: "http://adlnet.gov/expapi/verbs/completed",
    passed: "http://adlnet.gov/expapi/verbs/passed",
    failed: "http://adlnet.gov/expapi/verbs/failed",
    terminated: "http://adlnet.gov/expapi/verbs/terminated",
  };
  const ANSWERS = { q1: "b", q2: "a", q3: "a" };

  const params = new URLSearchParams(window.location.search);
  const launch = {
    endpoint: params.get("endpoint"),
    fetchUrl: params.get("fetch"),
    actor: params.get("actor"),
    registration: params.get("registration"),
    activityId: params.get("activityId"),
    unit: params.get("unit") || "read",
  };
  const started = Date.now();
  let auth = null;
  let launchData = null;
  let language = "th";
  let terminated = false;

  function localise() {
    document.documentElement.lang = language;
    document.querySelectorAll("[data-th]").forEach(function (element) {
      element.textContent = element.getAttribute("data-" + language) || element.getAttribute("data-th");
    });
  }

  function say(message, isError) {
    const status = document.getElementById("status");
    status.textContent = message;
    status.className = isError ? "error" : "";
  }

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function xapiHeaders(json) {
    const headers = { "X-Experience-API-Version": "1.0.3", Authorization: auth };
    if (json) {
      headers["Content-Type"] = "application/json";
    }
    return headers;
  }

  function duration() {
    return "PT" + ((Date.now() - started) / 1000).toFixed(2) + "S";
  }

  function statement(verb, result, moveOn) {
    const context = JSON.parse(JSON.stringify(launchData.contextTemplate));
    context.registration = launch.registration;
    context.contextActivities = context.contextActivities || {};
    const category = context.contextActivities.category || [];
    category.push({ id: CMI5 + "context/categories/cmi5" });
    if (moveOn) {
      category.push({ id: CMI5 + "context/categories/moveon" });
    }
    context.contextActivities.category = category;
    const body = {
      id: uuid(),
      timestamp: new Date().toISOString(),
      actor: JSON.parse(launch.actor),
      verb: { id: VERBS[verb], display: { "en-US": verb } },
      object: { id: launch.activityId, objectType: "Activity" },
      context: context,
    };
    if (result) {
      body.result = result;
    }
    return body;
  }

  async function send(body, keepalive) {
    const response = await fetch(
      launch.endpoint + "/statements?statementId=" + encodeURIComponent(body.id),
      { method: "PUT", headers: xapiHeaders(true), body: JSON.stringify(body), keepalive: Boolean(keepalive) }
    );
    if (response.status !== 204) {
      throw new Error("the LRS refused the statement: " + response.status + " " + (await response.text()));
    }
  }

  async function start() {
    if (!launch.endpoint || !launch.fetchUrl || !launch.actor || !launch.registration || !launch.activityId) {
      throw new Error("this page must be launched from the learning system");
    }
    const fetched = await fetch(launch.fetchUrl, { method: "POST" });
    const token = await fetched.json();
    if (!token["auth-token"]) {
      throw new Error(token["error-text"] || "no auth token");
    }
    auth = "Basic " + token["auth-token"];
    const stateUrl = launch.endpoint + "/activities/state?" + new URLSearchParams({
      stateId: "LMS.LaunchData",
      activityId: launch.activityId,
      agent: launch.actor,
      registration: launch.registration,
    });
    const state = await fetch(stateUrl, { headers: xapiHeaders(false) });
    if (state.status !== 200) {
      throw new Error("LMS.LaunchData could not be read: " + state.status);
    }
    launchData = await state.json();
    const profileUrl = launch.endpoint + "/agents/profile?" + new URLSearchParams({
      profileId: "cmi5LearnerPreferences",
      agent: launch.actor,
    });
    const preferences = await fetch(profileUrl, { headers: xapiHeaders(false) });
    if (preferences.status === 200) {
      const wanted = ((await preferences.json()).languagePreference || "").split(",");
      language = wanted.map(function (tag) { return tag.split("-")[0]; }).find(function (tag) {
        return tag === "th" || tag === "en";
      }) || "th";
    }
    localise();
    await send(statement("initialized"));
  }

  async function finish() {
    if (terminated) {
      return;
    }
    terminated = true;
    await send(statement("terminated", { duration: duration() }), true);
  }

  function judged() {
    return launchData.launchMode === "Normal";
  }

  function showRead() {
    const section = document.getElementById("unit-read");
    section.hidden = false;
    const button = document.getElementById("read-done");
    button.addEventListener("click", async function () {
      button.disabled = true;
      try {
        if (judged()) {
          await send(statement("completed", { completion: true, duration: duration() }, true));
        }
        say(language === "en" ? "Marked as read." : "บันทึกว่าอ่านจบแล้ว", false);
      } catch (error) {
        button.disabled = false;
        say(String(error), true);
      }
    });
  }

  function showQuiz() {
    const section = document.getElementById("unit-quiz");
    section.hidden = false;
    const form = document.getElementById("quiz");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const data = new FormData(form);
      const names = Object.keys(ANSWERS);
      const correct = names.filter(function (name) { return data.get(name) === ANSWERS[name]; }).length;
      const scaled = Math.round((correct / names.length) * 10000) / 10000;
      const mastery = typeof launchData.masteryScore === "number" ? launchData.masteryScore : 1;
      const passed = scaled >= mastery;
      const result = document.getElementById("quiz-result");
      result.textContent = (language === "en" ? "Score: " : "คะแนน: ") + correct + "/" + names.length + " — " +
        (passed ? (language === "en" ? "passed" : "ผ่าน") : (language === "en" ? "not passed, try again in a new attempt" : "ยังไม่ผ่าน ลองใหม่ได้ในครั้งถัดไป"));
      form.querySelector("button").disabled = true;
      if (!judged()) {
        return;
      }
      const body = statement(passed ? "passed" : "failed", {
        success: passed,
        duration: duration(),
        score: { scaled: scaled, raw: correct, min: 0, max: names.length },
      }, true);
      if (typeof launchData.masteryScore === "number") {
        body.context.extensions[CMI5 + "context/extensions/masteryscore"] = launchData.masteryScore;
      }
      try {
        await send(body);
      } catch (error) {
        say(String(error), true);
      }
    });
  }

  async function run() {
    localise();
    try {
      await start();
    } catch (error) {
      say(String(error.message || error), true);
      return;
    }
    say(language === "en" ? "Connected. Your progress is recorded." : "เชื่อมต่อแล้ว ระบบบันทึกความก้าวหน้าของคุณ", false);
    if (launch.unit === "quiz") {
      showQuiz();
    } else {
      showRead();
    }
    const exit = document.getElementById("exit");
    exit.hidden = false;
    exit.addEventListener("click", async function () {
      exit.disabled = true;
      try {
        await finish();
      } catch (error) {
        say(String(error), true);
      }
      if (launchData.returnURL) {
        window.location.href = launchData.returnURL;
      }
    });
    window.addEventListener("pagehide", function () {
      finish().catch(function () { return undefined; });
    });
  }

  document.addEventListener("DOMContentLoaded", run);
})();
