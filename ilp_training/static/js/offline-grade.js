// The curriculum's pass rule for one skill, as the grading engine applies it
// (assessments/grading.py grade_skill), so the phone shows each outcome at once. The
// server grades again on sync; its result is the record. Integers only: an indicator
// scored s of a scale topping at max earns points * s / max; competent when
// 100 * earned >= min_percent * max * max_points and, if the rule says all_critical,
// every critical indicator is scored at the top. tests/scoring/test_offline_browser.py
// grades the same generated score sets here and in the engine.
(function (root) {
  "use strict";
  function grade(skill, scaleValues, scores) {
    var top = Math.max.apply(null, scaleValues);
    var earned = 0, maxPoints = 0, unmet = [];
    for (var i = 0; i < skill.indicators.length; i += 1) {
      var indicator = skill.indicators[i];
      var score = scores[indicator.code];
      if (typeof score !== "number" || scaleValues.indexOf(score) < 0) { return null; }
      earned += indicator.points * score;
      maxPoints += indicator.points;
      if (indicator.critical && score !== top) { unmet.push(indicator.code); }
    }
    var rule = skill.pass_rule;
    var enough = 100 * earned >= rule.min_percent * top * maxPoints;
    return {
      competent: enough && !(rule.all_critical && unmet.length > 0),
      percentFloor: Math.floor(100 * earned / (top * maxPoints)),
      unmetCritical: unmet
    };
  }
  root.ILPGrade = { grade: grade };
}(window));
