#include "fanout_report.h"

#include <cmath>
#include <cstdio>
#include <fstream>

namespace hf::bench {

namespace {

// Student's t, two-sided 95%, for df = 1..30; beyond, the Cornish-Fisher
// expansion around the normal quantile (error < 1e-3 from df 30 on).
double t975(int df)
{
    static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                   2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                   2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    if (df <= 30)
        return table[df - 1];
    const double z = 1.959964, d = df;
    return z + (z * z * z + z) / (4 * d) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * d * d);
}

// A CSV field: empty for "no value".
std::string num(double v, const char* fmt)
{
    if (v < 0 || !std::isfinite(v))
        return "";
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

std::string fixed1(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

const FanoutSchemeResult* bootOf(const std::vector<FanoutSchemeResult>& results)
{
    for (const auto& r : results)
        if (r.id == "boot")
            return &r;
    return nullptr;
}

struct Summary {
    int ok = 0;
    MeanCi bench, completion;
    bool hasSaved = false;  // relative to boot: may be negative
    double savedPct = 0;
};

Summary summarize(const FanoutSchemeResult& s, const FanoutSchemeResult* boot)
{
    Summary out;
    std::vector<double> bench, completion;
    for (const FanoutRun& r : s.runs)
        if (r.ok) {
            ++out.ok;
            bench.push_back(r.benchMs);
            completion.push_back(r.completionS);
        }
    out.bench = meanCi95(bench);
    out.completion = meanCi95(completion);
    out.hasSaved = boot && &s != boot && boot->hostCpuS > 0 && s.hostCpuS >= 0;
    if (out.hasSaved)
        out.savedPct = 100.0 * (boot->hostCpuS - s.hostCpuS) / boot->hostCpuS;
    return out;
}

} // namespace

MeanCi meanCi95(const std::vector<double>& v)
{
    MeanCi m;
    m.n = int(v.size());
    if (v.empty())
        return m;
    double sum = 0;
    for (double x : v)
        sum += x;
    m.mean = sum / double(v.size());
    if (v.size() < 2)
        return m;
    double ss = 0;
    for (double x : v)
        ss += (x - m.mean) * (x - m.mean);
    const double sd = std::sqrt(ss / double(v.size() - 1));
    m.ci95 = t975(int(v.size()) - 1) * sd / std::sqrt(double(v.size()));
    return m;
}

bool writeFanoutCsv(const std::string& outDir, const std::vector<std::string>& meta,
                    const std::vector<FanoutSchemeResult>& results)
{
    std::ofstream runs(outDir + "/runs.csv"), summary(outDir + "/summary.csv");
    for (const std::string& m : meta) {
        runs << "# " << m << "\n";
        summary << "# " << m << "\n";
    }
    const FanoutSchemeResult* boot = bootOf(results);
    for (const auto& s : results) {
        if (!s.note.empty())
            summary << "# " << s.id << ": " << s.note << "\n";
        if (s.warm >= 0)
            summary << "# " << s.id << ": " << s.warm << " of " << s.n << " clones served by warm spares\n";
        for (const FanoutRun& r : s.runs)
            if (!r.ok)
                runs << "# FAILED " << s.id << " run " << r.run << " (" << r.vm << "): " << r.why << "\n";
    }
    runs << "scheme,run,vm,ok,bench_ms,completion_s,digest\n";
    summary << "scheme,label,n,ok,host_cpu_s,wall_s,bench_mean_ms,bench_ci95_ms,completion_mean_s,"
               "completion_ci95_s,peak_pss_mib,cpu_saved_pct\n";
    for (const auto& s : results) {
        for (const FanoutRun& r : s.runs)
            runs << s.id << "," << r.run << "," << r.vm << "," << (r.ok ? 1 : 0) << "," << num(r.benchMs, "%.3f")
                 << "," << num(r.completionS, "%.3f") << "," << r.digest << "\n";
        const Summary m = summarize(s, boot);
        summary << s.id << "," << s.label << "," << s.n << "," << m.ok << "," << num(s.hostCpuS, "%.3f") << ","
                << num(s.wallS, "%.3f") << "," << num(m.bench.mean, "%.3f") << "," << num(m.bench.ci95, "%.3f")
                << "," << num(m.completion.mean, "%.3f") << "," << num(m.completion.ci95, "%.3f") << ","
                << num(s.peakPssMib, "%.1f") << ","
                << (m.hasSaved ? fixed1(m.savedPct) : std::string())
                << "\n";
    }
    runs.flush();
    summary.flush();
    return runs.good() && summary.good();
}

void printFanoutSummary(const std::vector<FanoutSchemeResult>& results)
{
    const FanoutSchemeResult* boot = bootOf(results);
    std::printf("\n%-24s %7s %10s %9s %19s %17s %9s %9s\n", "scheme", "ok", "host CPU s", "wall s",
                "bench ms (95% CI)", "completion s", "peak PSS", "CPU saved");
    for (const auto& s : results) {
        const Summary m = summarize(s, boot);
        char saved[32] = "";
        if (m.hasSaved)
            std::snprintf(saved, sizeof saved, "%.1f%%", m.savedPct);
        std::printf("%-24s %3d/%-3d %10.2f %9.2f %10.1f ± %6.1f %9.2f ± %5.2f %7.0f MiB %9s\n", s.id.c_str(), m.ok,
                    s.n, s.hostCpuS, s.wallS, m.bench.mean, std::max(0.0, m.bench.ci95), m.completion.mean,
                    std::max(0.0, m.completion.ci95), s.peakPssMib, saved);
    }
}

} // namespace hf::bench
