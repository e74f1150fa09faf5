// Baseline for the scanner benchmark, written the way a researcher would
// with Go's net/http (as ZGrab2 and httpx are Go): a pool of goroutines,
// one Transport per target (keep-alive across its probes), no verification.
// Reads "ip port" lines on stdin; prints "ok N fail M".
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var paths = map[string][]string{
	"version": {"/version"},
	"default": {"/version", "/healthz", "/livez", "/readyz",
		"/api/v1/namespaces/kube-public/configmaps/cluster-info", "/api"},
}

func scan(target string, probes []string) bool {
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ok := false
	for i, p := range probes {
		req, _ := http.NewRequest("GET", "https://"+target+p, nil)
		req.Header.Set("User-Agent", "kcensus-bench-go")
		resp, err := client.Do(req)
		if err != nil {
			return ok
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if i == 0 {
			ok = true
		}
	}
	return ok
}

func main() {
	conc := flag.Int("c", 100, "concurrency")
	set := flag.String("probes", "version", "version|default")
	flag.Parse()
	jobs := make(chan string, 1024)
	var ok, fail int64
	var wg sync.WaitGroup
	for i := 0; i < *conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				if scan(t, paths[*set]) {
					atomic.AddInt64(&ok, 1)
				} else {
					atomic.AddInt64(&fail, 1)
				}
			}
		}()
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			jobs <- f[0] + ":" + f[1]
		}
	}
	close(jobs)
	wg.Wait()
	fmt.Printf("ok %d fail %d\n", ok, fail)
}
